import { silentLogger, type SubscriptionSpec } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { CommitBatcher } from './commit-batcher.ts';
import type { DriverConsumer } from './driver.ts';
import { FakeConsumer, fakeDriver, record } from './fake-consumer.ts';
import { Fetcher } from './fetcher.ts';
import { resolveConfig } from './options.ts';
import type { Entry, Partition } from './partition.ts';

const spec: SubscriptionSpec = { topic: 'orders', group: 'g', maxInFlight: 8, start: { from: 'stored' }, deadLetterTopic: 'orders.dlq', handlerTimeoutMs: 1000, orderedByKey: true, delivery: 'at-least-once' };
const config = resolveConfig(new URL('kafka://127.0.0.1:9092'), { consumer: { heartbeatIntervalMs: 50, rebalanceTimeoutMs: 1000 } });

/** A fetcher on a fake consumer; `wait` decides what take() answers. */
async function started(options: { seekTo?: Map<string, Map<number, number>>; wait?: (taken: Entry[]) => (() => boolean) | undefined; assignment?: Record<string, number[]> } = {}) {
  const consumer = new FakeConsumer();
  const taken: Entry[] = [];
  const released: Partition[] = [];
  const commits = new CommitBatcher(() => consumer as unknown as DriverConsumer, { group: 'g', logger: () => silentLogger });
  const fetcher = new Fetcher(spec, ['orders', 'orders.g.retry', 'orders.delay'], { driver: fakeDriver(consumer), config, commits, seekTo: options.seekTo ?? new Map() }, {
    take: (entry) => {
      taken.push(entry);
      return options.wait?.(taken);
    },
    released: (part) => void released.push(part),
    died: () => undefined,
  });
  const starting = fetcher.start();
  await new Promise((r) => setTimeout(r, 0));
  consumer.join(options.assignment ?? { orders: [0, 1] });
  await starting;
  return { consumer, fetcher, taken, released, commits };
}

describe('Fetcher', () => {
  it('takes records in offset order, once: a batch fetched again after a rebalance is skipped', async () => {
    const { consumer, taken } = await started();
    await consumer.batch('orders', 0, [record('orders', 5, 'a'), record('orders', 6, 'b')]);
    await consumer.batch('orders', 0, [record('orders', 5, 'a'), record('orders', 6, 'b'), record('orders', 7, 'c')]);
    expect(taken.map((e) => `${e.part.key}@${e.offset}:${Buffer.from(e.decoded.envelope.payload).toString()}`)).toEqual(['orders:0@5:a', 'orders:0@6:b', 'orders:0@7:c']);
    expect(taken.map((e) => e.part.held)).toEqual([false, false, false]);
    expect(consumer.resolved).toEqual(['orders:0@6', 'orders:0@7']);
  });

  it('marks retry and delay topic records as held until due, with the attempt and due time of their headers', async () => {
    const { consumer, taken } = await started({ assignment: { 'orders.g.retry': [2] } });
    await consumer.batch('orders.g.retry', 2, [record('orders', 0, 'x', { recordTopic: 'orders.g.retry', attempt: 3, dueAt: 12345 })]);
    expect(taken[0]!.part.held).toBe(true);
    expect(taken[0]!.decoded).toMatchObject({ attempt: 3, dueAt: 12345 });
    expect(taken[0]!.decoded.envelope.topic).toBe('orders');
  });

  it('waits, heartbeating, while the target is full, and takes the rest once woken', async () => {
    let full = true;
    const { consumer, fetcher, taken } = await started({ wait: (t) => (t.length === 1 ? () => !full : undefined) });
    const batch = consumer.batch('orders', 1, [record('orders', 0, 'a'), record('orders', 1, 'b')]);
    // Waits for the heartbeats rather than a fixed time: a loaded machine runs timers late.
    for (let waited = 0; consumer.heartbeats < 2 && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(taken).toHaveLength(1);
    expect(consumer.heartbeats).toBeGreaterThanOrEqual(2);
    expect(consumer.resolved).toEqual(['orders:1@0']);
    full = false;
    fetcher.wake();
    await batch;
    expect(taken.map((e) => e.offset)).toEqual([0, 1]);
  });

  it('a partition revoked by a rebalance is released to the target, and its batch stops taking', async () => {
    const { consumer, taken, released } = await started({ wait: (t) => (t.length === 1 ? () => false : undefined) });
    const batch = consumer.batch('orders', 0, [record('orders', 0, 'a'), record('orders', 1, 'b')]);
    await new Promise((r) => setTimeout(r, 10));
    consumer.join({ orders: [1] });
    await batch;
    expect(released.map((p) => p.key)).toEqual(['orders:0']);
    expect(released[0]!.released).toBe(true);
    expect(taken.map((e) => e.offset)).toEqual([0]);
  });

  it('a replay seeks the partitions of the first assignment and stores the position as the group\'s', async () => {
    const { consumer, taken } = await started({ seekTo: new Map([['orders', new Map([[0, 40], [1, 7]])]]), assignment: { orders: [0] } });
    expect(consumer.seeks).toEqual([{ topic: 'orders', partition: 0, offset: '40' }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '40' }]]);
    await consumer.batch('orders', 0, [record('orders', 39, 'old'), record('orders', 40, 'new')]);
    expect(taken.map((e) => e.offset)).toEqual([40]);
  });

  it('close pauses, commits what finished, releases every partition and leaves the group', async () => {
    const { consumer, fetcher, taken, released } = await started();
    await consumer.batch('orders', 0, [record('orders', 0, 'a'), record('orders', 1, 'b')]);
    taken[0]!.part.tracker.finish(0);
    await fetcher.close();
    expect(consumer.paused).toBe(true);
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
    expect(released.map((p) => p.key)).toEqual(['orders:0']);
    expect(consumer.disconnected).toBe(true);
    expect(fetcher.stopped).toBe(true);
  });

  it('start fails clearly when the consumer crashes for good before its first assignment', async () => {
    const consumer = new FakeConsumer();
    const fetcher = new Fetcher(spec, ['orders'], { driver: fakeDriver(consumer), config, commits: new CommitBatcher(() => undefined, { group: 'g', logger: () => silentLogger }), seekTo: new Map() }, { take: () => undefined, released: () => undefined, died: () => undefined });
    const starting = fetcher.start();
    await new Promise((r) => setTimeout(r, 0));
    consumer.crash(new Error('SASL authentication failed for amqp://u:secret@h'), false);
    await expect(starting).rejects.toMatchObject({ code: 'FERRY_KAFKA_CONSUMER', message: expect.stringMatching(/group g on orders stopped: SASL authentication failed for amqp:\/\/u:\*\*\*@h/) });
  });
});
