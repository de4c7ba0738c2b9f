import { silentLogger, type OutgoingMessage, type SubscriptionSpec } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { decode } from './codec.ts';
import { CommitBatcher } from './commit-batcher.ts';
import type { DriverConsumer, ProducerRecord } from './driver.ts';
import { FakeConsumer, record } from './fake-consumer.ts';
import { Partition, type Entry } from './partition.ts';
import { Settlement } from './settlement.ts';
import type { TransactionalSettlement } from './transactional-settlement.ts';

const spec = (delivery: SubscriptionSpec['delivery']): SubscriptionSpec => ({ topic: 'orders', group: 'g', maxInFlight: 8, start: { from: 'stored' }, deadLetterTopic: 'orders.dlq', handlerTimeoutMs: 1000, orderedByKey: true, delivery });

function setup(delivery: SubscriptionSpec['delivery'], options: { ackAwaitsCommit?: boolean; sendFails?: () => boolean } = {}) {
  const consumer = new FakeConsumer();
  const commits = new CommitBatcher(() => consumer as unknown as DriverConsumer, { group: 'g', logger: () => silentLogger });
  const copies: ProducerRecord[] = [];
  const inTransaction: string[] = [];
  const transactional = { nack: async (entry: Entry) => void inTransaction.push(`nack ${entry.offset}`), transact: async () => undefined } as unknown as TransactionalSettlement;
  const settlement = new Settlement(spec(delivery), {
    commits,
    transactional,
    send: async (copy: ProducerRecord, _message: OutgoingMessage) => {
      if (options.sendFails?.()) throw new Error('not enough replicas');
      copies.push(copy);
    },
    ackAwaitsCommit: options.ackAwaitsCommit ?? delivery === 'at-most-once',
    retryTopic: 'orders.g.retry',
  });
  const part = new Partition('orders', 0, false);
  const entries = [0, 1, 2].map((offset): Entry => {
    part.tracker.take(offset);
    const r = record('orders', offset, `m${offset}`);
    return { part, offset, decoded: decode('orders', 0, r) };
  });
  return { consumer, commits, settlement, part, entries, copies, inTransaction };
}

describe('Settlement', () => {
  it('ack finishes the offset; at-least-once does not wait for the commit, which covers the finished prefix', async () => {
    const { consumer, commits, settlement, entries } = setup('at-least-once');
    let release!: () => void;
    consumer.beforeCommit = () => new Promise<void>((r) => (release = r));
    await settlement.ack(entries[1]!);
    await settlement.ack(entries[0]!);
    expect(consumer.commits).toEqual([]); // still in flight: the acks did not wait
    release();
    consumer.beforeCommit = undefined;
    await commits.idle();
    expect(consumer.commits.at(-1)).toEqual([{ topic: 'orders', partition: 0, offset: '2' }]);
  });

  it('at-most-once: ack resolves once its commit is done, and commits past an earlier offset still running', async () => {
    const { consumer, settlement, entries } = setup('at-most-once');
    await settlement.ack(entries[2]!);
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '3' }]]);
  });

  it('nack writes a copy to the retry topic with attempt + 1 and its due time, then finishes the offset', async () => {
    const { consumer, settlement, entries, copies, part } = setup('at-least-once');
    const before = Date.now();
    await settlement.nack(entries[0]!, 500);
    expect(copies).toHaveLength(1);
    const copy = decode('orders.g.retry', 0, { ...copies[0]!, offset: '0', attributes: 0 } as never);
    expect(copies[0]!.topic).toBe('orders.g.retry');
    expect(copy.envelope).toMatchObject({ id: 'orders-0', topic: 'orders' });
    expect(copy.attempt).toBe(2);
    expect(copy.dueAt).toBeGreaterThanOrEqual(before + 500);
    expect(part.tracker.position()).toBe(1);
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
  });

  it('a copy that is not written fails the nack and changes nothing: the offset stays unfinished until a nack lands', async () => {
    let fail = true;
    const { consumer, settlement, entries, part, copies } = setup('at-least-once', { sendFails: () => fail });
    await expect(settlement.nack(entries[0]!, 0)).rejects.toThrow('not enough replicas');
    expect(part.tracker.position()).toBe(0);
    expect(consumer.commits).toEqual([]);
    fail = false;
    await settlement.nack(entries[0]!, 0);
    expect(copies).toHaveLength(1);
    expect(part.tracker.position()).toBe(1);
  });

  it('exactly-once nacks in a transaction; a revoked partition makes ack and nack do nothing', async () => {
    const eo = setup('exactly-once');
    await eo.settlement.nack(eo.entries[1]!, 10);
    expect(eo.inTransaction).toEqual(['nack 1']);
    expect(eo.copies).toEqual([]);
    const { consumer, settlement, entries, part, copies } = setup('at-least-once');
    part.released = true;
    await settlement.ack(entries[0]!);
    await settlement.nack(entries[1]!, 0);
    expect(copies).toEqual([]);
    expect(part.tracker.position()).toBe(0);
    expect(consumer.commits).toEqual([]);
  });
});
