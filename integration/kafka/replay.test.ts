/**
 * Replay with more than one member on the real broker: the start position is the group's, set
 * once while no member runs, so members that join later (or partitions that move between them)
 * continue from the group's progress instead of replaying their partitions again.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Transport } from '@ferry/core';
import type { Delivery, Subscription } from '@ferry/core/spi';
import { brokers, kafka, message, sleep, spec, subscribe, topicName, waitFor } from './helpers.ts';

const transports: Transport[] = [];
const open = () => {
  const t = kafka({ partitions: 4 });
  transports.push(t);
  return t;
};
afterAll(() => Promise.all(transports.map((t) => t.close())));

const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
afterAll(() => admin.disconnect());

const TOTAL = 200;

/** Subscribes a member that records (and acks) every delivery's id. */
async function member(topic: string, group: string, seen: string[], start = spec(topic, group).start): Promise<Subscription> {
  return subscribe(open(), spec(topic, group, { start, maxInFlight: 50 }), (d: Delivery) => {
    seen.push(d.envelope.id);
    void d.ack();
  });
}

/** A topic of TOTAL messages that a group has consumed and committed, its member closed. */
async function consumedOnce(prefix: string) {
  const topic = topicName(prefix);
  const group = topicName(`${prefix}-g`);
  const sent = Array.from({ length: TOTAL }, (_, n) => message(topic, { key: `k${n % 16}` }));
  const first: string[] = [];
  const initial = await member(topic, group, first);
  await open().send(sent);
  await waitFor(() => new Set(first).size === TOTAL, 20_000, () => `first pass (${first.length})`);
  await initial.close();
  return { topic, group, sent };
}

describe('kafka replay', () => {
  it('sets the group position while no member runs; a member that joins the replaying group does not replay its partitions again', async () => {
    const { topic, group } = await consumedOnce('replay');

    // The replay: one member from the earliest offset, which gets everything again.
    const a: string[] = [];
    const memberA = await member(topic, group, a, { from: 'earliest' });
    await waitFor(() => new Set(a).size === TOTAL, 20_000, () => `replay by the first member (${a.length})`);
    await sleep(500); // its acks are committed
    await admin.connect();
    const [positions] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(positions!.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(TOTAL);

    // A second member with the same options joins while the first runs: it takes the group's
    // positions (all consumed), so nothing is replayed twice.
    const b: string[] = [];
    const memberB = await member(topic, group, b, { from: 'earliest' });
    await sleep(1_500);
    expect(b).toEqual([]);
    expect(a.length).toBe(TOTAL);

    // New messages after the replay go to the two members, each once.
    const more = Array.from({ length: 40 }, (_, n) => message(topic, { key: `k${n % 16}` }));
    await open().send(more);
    await waitFor(() => a.length + b.length >= TOTAL + 40, 20_000, () => `new messages (${a.length + b.length - TOTAL})`);
    await sleep(300);
    expect([...a.slice(TOTAL), ...b].sort()).toEqual(more.map((m) => m.id).sort());
    await Promise.all([memberA.close(), memberB.close()]);
  });

  it('commits the replay position at the first join, so a partition that moves to a member joining later is replayed there', async () => {
    const { topic, group, sent } = await consumedOnce('replay-move');

    // The replaying member holds what it gets unsettled, so none of its progress is committed:
    // only the replay position (offset 0 everywhere) is.
    const held: Delivery[] = [];
    const memberA = await subscribe(open(), spec(topic, group, { start: { from: 'earliest' }, maxInFlight: TOTAL }), (d) => void held.push(d));
    await waitFor(() => held.length > 0, 20_000, () => 'the replay to start');
    await sleep(500);
    await admin.connect();
    const [positions] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(positions!.partitions.map((p) => Number(p.offset))).toEqual([0, 0, 0, 0]);

    // B joins the running group without replay of its own and takes half the partitions from the
    // group's positions: the replay start, not the end the first pass had committed.
    const b: string[] = [];
    const memberB = await member(topic, group, b);
    await waitFor(() => b.length > 0, 20_000, () => 'B to get the replayed messages of its partitions');
    for (const d of held) void d.ack(); // A's deliveries of partitions it gave up are no-ops
    await sleep(1_000);
    const sentIds = new Set(sent.map((m) => m.id));
    expect(b.every((id) => sentIds.has(id))).toBe(true);
    expect(new Set(b).size).toBeGreaterThan(0);
    await Promise.all([memberA.close(), memberB.close()]);
  });

  it('replays delayed publishes too: from the earliest offset and from a timestamp, the delay topic is repositioned with the topic', async () => {
    const topic = topicName('replay-delay');
    const group = topicName('replay-delay-g');
    const first: string[] = [];
    const initial = await member(topic, group, first);
    const early = [...Array.from({ length: 5 }, () => message(topic)), ...Array.from({ length: 5 }, () => message(topic, { delayMs: 200 }))];
    await open().send(early);
    await waitFor(() => new Set(first).size === 10, 20_000, () => `first pass (${first.length} deliveries, ${new Set(first).size} distinct; missing: ${early.filter((m) => !first.includes(m.id)).map((m) => (m.delayMs ? 'delayed ' : '') + m.id).join(', ')})`);
    await sleep(50);
    const boundary = Date.now();
    await sleep(50);
    const late = [message(topic), message(topic, { delayMs: 200 })];
    await open().send(late);
    await waitFor(() => new Set(first).size === 12, 20_000, () => `first pass, late messages (${first.length})`);
    await initial.close();

    const all: string[] = [];
    const fromEarliest = await member(topic, group, all, { from: 'earliest' });
    await waitFor(() => new Set(all).size === 12, 20_000, () => `replay from earliest (${all.length})`);
    await fromEarliest.close();
    expect(new Set(all)).toEqual(new Set([...early, ...late].map((m) => m.id)));

    const since: string[] = [];
    const fromTimestamp = await member(topic, group, since, { from: 'timestamp', timestamp: boundary });
    await waitFor(() => since.length >= 2, 20_000, () => `replay from the timestamp (${since.length})`);
    await sleep(500);
    await fromTimestamp.close();
    expect(since.sort()).toEqual(late.map((m) => m.id).sort());
  });
});
