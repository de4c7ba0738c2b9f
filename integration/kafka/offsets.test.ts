/**
 * Offsets on the real broker: out-of-order completion never commits past an unfinished offset,
 * and a rebalance while messages are in flight (a second consumer joins, the first leaves) loses
 * nothing.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Transport } from '@ferry/core';
import type { Delivery } from '@ferry/core/spi';
import { brokers, kafka, message, sleep, spec, subscribe, text, topicName, waitFor } from './helpers.ts';

const transports: Transport[] = [];
const open = (options: Parameters<typeof kafka>[0] = {}) => {
  const t = kafka(options);
  transports.push(t);
  return t;
};
afterAll(() => Promise.all(transports.map((t) => t.close())));

const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
afterAll(() => admin.disconnect());

async function committed(group: string, topic: string): Promise<Map<number, number>> {
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(offsets!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

describe('kafka offsets', () => {
  it('commits only up to the lowest unfinished offset when later messages finish first', async () => {
    const topic = topicName('ooo');
    const group = topicName('ooo-g');
    const transport = open({ partitions: 1 });
    const held: Delivery[] = [];
    const sub = await subscribe(transport, spec(topic, group, { maxInFlight: 20 }), (d) => {
      // Offset 3 stays in flight; every other message finishes at once (out of order after it).
      if (Number(d.coordinates['offset']) === 3) held.push(d);
      else void d.ack();
    });
    await transport.send(Array.from({ length: 10 }, (_, n) => message(topic, { payload: new TextEncoder().encode(`n${n}`) })));
    await waitFor(() => held.length === 1, 15_000, () => 'offset 3 in flight');
    await sleep(500); // the acks of 4..9 have been committed meanwhile
    expect((await committed(group, topic)).get(0)).toBe(3);

    // Released unfinished: the next consumer of the group starts again at offset 3.
    await sub.close();
    await held[0]!.ack(); // after release: no effect, no throw
    expect((await committed(group, topic)).get(0)).toBe(3);
    const again: Delivery[] = [];
    const next = await subscribe(open({ partitions: 1 }), spec(topic, group, { maxInFlight: 20 }), (d) => {
      again.push(d);
      void d.ack();
    });
    await waitFor(() => again.length >= 7, 15_000, () => `7 redeliveries (${again.length})`);
    expect(again.map((d) => Number(d.coordinates['offset']))).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(text(again[0]!)).toBe('n3');
    await sleep(300);
    expect((await committed(group, topic)).get(0)).toBe(10);
    await next.close();
  });

  it('at-most-once commits past a message not yet acked, so an acked message is never delivered again', async () => {
    const topic = topicName('amo');
    const group = topicName('amo-g');
    const held: Delivery[] = [];
    const acks: Promise<void>[] = [];
    const sub = await subscribe(open({ partitions: 1 }), spec(topic, group, { maxInFlight: 20, delivery: 'at-most-once' }), (d) => {
      // Offset 3 waits in core (its key's predecessor is running, say): not acked, so not started.
      if (Number(d.coordinates['offset']) === 3) held.push(d);
      else acks.push(d.ack());
    });
    await open({ partitions: 1 }).send(Array.from({ length: 10 }, (_, n) => message(topic, { payload: new TextEncoder().encode(`n${n}`) })));
    await waitFor(() => held.length === 1 && acks.length === 9, 15_000, () => `offset 3 held and 9 acks (${acks.length})`);
    // ack() of an at-most-once delivery resolves after its commit: 4..9 are stored, past 3.
    await Promise.all(acks);
    expect((await committed(group, topic)).get(0)).toBe(10);
    await sub.close();
    // The next consumer of the group gets nothing again: offset 3 (never started) is lost, which
    // at-most-once allows; a duplicate of 4..9 would break it.
    const again: Delivery[] = [];
    const next = await subscribe(open({ partitions: 1 }), spec(topic, group, { maxInFlight: 20, delivery: 'at-most-once' }), (d) => {
      again.push(d);
      void d.ack();
    });
    await open({ partitions: 1 }).send([message(topic, { payload: new TextEncoder().encode('n10') })]);
    await waitFor(() => again.length >= 1, 15_000, () => 'the new message');
    await sleep(500);
    expect(again.map((d) => text(d))).toEqual(['n10']);
    await next.close();
  });

  it('loses nothing when a consumer joins and the first one leaves while messages are in flight', async () => {
    const topic = topicName('rebalance');
    const group = topicName('rebalance-g');
    const total = 600;
    const acked = new Set<string>();
    const seen = { a: 0, b: 0 };
    let aClosing = false;
    // A handler that takes 0-20 ms per message, acking (in completion order) when done.
    const consume = (who: 'a' | 'b') => (d: Delivery) => {
      seen[who]++;
      setTimeout(() => {
        if (who === 'a' && aClosing) return; // A is leaving: what it still holds must go to B
        void d.ack().then(() => acked.add(d.envelope.id));
      }, Math.random() * 20);
    };
    const a = await subscribe(open(), spec(topic, group, { maxInFlight: 16, orderedByKey: false }), consume('a'));
    const producer = open();
    const ids: string[] = [];
    const publishing = (async () => {
      for (let i = 0; i < total; i += 20) {
        const batch = Array.from({ length: 20 }, (_, j) => message(topic, { key: `k${(i + j) % 13}` }));
        ids.push(...batch.map((m) => m.id));
        await producer.send(batch);
        await sleep(10);
      }
    })();
    await waitFor(() => seen.a >= 100, 20_000, () => `A busy (${seen.a})`);
    const b = await subscribe(open(), spec(topic, group, { maxInFlight: 16, orderedByKey: false }), consume('b'));
    await waitFor(() => seen.b >= 50, 20_000, () => `B taking part (${seen.b})`);
    aClosing = true;
    await a.close();
    await publishing;
    await waitFor(() => ids.every((id) => acked.has(id)), 30_000, () => `all ${total} acknowledged (${ids.filter((id) => acked.has(id)).length})`);
    expect(ids.filter((id) => !acked.has(id))).toEqual([]);
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBeGreaterThan(0);
    await b.close();
  });
});
