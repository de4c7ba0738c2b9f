import { silentLogger, type OutgoingMessage } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { decode } from './codec.ts';
import { CommitBatcher } from './commit-batcher.ts';
import type { DriverConsumer, ProducerRecord } from './driver.ts';
import { FakeConsumer, record } from './fake-consumer.ts';
import { Partition, type Entry } from './partition.ts';
import { TransactionalSettlement } from './transactional-settlement.ts';
import type { PartitionTransaction, TransactionalProducers } from './transactions.ts';

/** Transactional producers that record what each transaction did (a unit test: no broker). */
function producers(options: Options = {}) {
  const log: string[] = [];
  let prepares = 0;
  let failuresLeft = options.prepareFailsAfter ?? 0;
  const fake = {
    prepare: async (topic: string, partition: number) => {
      log.push(`prepare ${topic}:${partition}`);
      // The first one is the fence, before the transaction.
      if (prepares++ > 0 && failuresLeft-- > 0) throw new Error('broker unreachable');
    },
    begin: async (topic: string, partition: number): Promise<PartitionTransaction> => {
      log.push(`begin ${topic}:${partition}`);
      return {
        send: async (records: readonly ProducerRecord[]) => void log.push(`send ${records.map((r) => r.topic).join(',')}`),
        commit: async (position) => {
          if (options.onCommit) options.onCommit();
          if (options.commitFails) throw new Error('producer fenced');
          log.push(`commit ${position.topic}:${position.partition}@${position.offset}`);
        },
        abort: async () => void log.push('abort'),
      };
    },
    release: async (topic: string, partition: number) => void log.push(`release ${topic}:${partition}`),
  } as unknown as TransactionalProducers;
  return { fake, log };
}

interface Options {
  /** tx.commit() rejects (what the broker did is `committed`). */
  commitFails?: boolean;
  /** Runs inside tx.commit(), before it fails or succeeds. */
  onCommit?: () => void;
  /** The group's committed offset the broker reports after a failed commit (-1: none), or what each read reports in turn (the last one from then on). */
  committed?: number | number[];
  /** How many times a new producer cannot connect (the broker away) after the fence's. */
  prepareFailsAfter?: number;
}

function setup(options: Options = {}) {
  const consumer = new FakeConsumer();
  const commits = new CommitBatcher(() => consumer as unknown as DriverConsumer, { group: 'g', logger: () => silentLogger });
  const { fake, log } = producers(options);
  const prepare = async (messages: readonly OutgoingMessage[]) => messages.map((m): ProducerRecord => ({ topic: m.topic, key: null, value: Buffer.from(m.payload), headers: {}, timestamp: '1' }));
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message) };
  const settlement = new TransactionalSettlement({
    transactions: fake,
    commits,
    prepare,
    committedOffset: async (topic, partition) => {
      log.push(`offset ${topic}:${partition}`);
      const { committed = -1 } = options;
      return typeof committed === 'number' ? committed : committed.length > 1 ? committed.shift()! : committed[0]!;
    },
    outcomeWithinMs: 300,
    logger: () => logger,
  });
  const part = new Partition('orders', 2, false);
  const entries = [10, 11].map((offset): Entry => {
    part.tracker.take(offset);
    return { part, offset, decoded: decode('orders', 2, record('orders', offset, 'x')) };
  });
  const out = (topic: string): OutgoingMessage => ({ id: 'o', type: 't', topic, headers: {}, payload: new Uint8Array(1), timestamp: 1 });
  return { consumer, settlement, part, entries, log, out, warnings };
}

describe('TransactionalSettlement', () => {
  it("commits the handler's sends with the partition's position past the entry, in one transaction", async () => {
    const { settlement, part, entries, log, out } = setup();
    await settlement.transact(entries[0]!, async (send) => {
      await send([out('shipments')]);
      await send([out('invoices')]);
    });
    expect(log).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send shipments', 'send invoices', 'commit orders:2@11']);
    expect(part.tracker.position()).toBe(11);
    expect(part.committed).toBe(11);
  });

  it('a handler that publishes nothing commits its offset with a plain commit, no transaction', async () => {
    const { consumer, settlement, entries, log } = setup();
    await settlement.transact(entries[0]!, async () => undefined);
    expect(log).toEqual(['prepare orders:2', 'offset orders:2']);
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 2, offset: '11' }]]);
  });

  it('a failed handler aborts the transaction and drops the producer; the offset stays unfinished', async () => {
    const { settlement, part, entries, log, out } = setup();
    await expect(settlement.transact(entries[0]!, async (send) => {
      await send([out('shipments')]);
      throw new Error('handler failed');
    })).rejects.toThrow('handler failed');
    expect(log).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send shipments', 'abort', 'release orders:2']);
    expect(part.tracker.position()).toBe(10);
  });

  it('a partition revoked during the transaction does not commit it', async () => {
    const { settlement, part, entries, log, out } = setup();
    await expect(settlement.transact(entries[0]!, async (send) => {
      await send([out('shipments')]);
      part.released = true;
    })).rejects.toMatchObject({ code: 'FERRY_KAFKA_TRANSACTION' });
    expect(log.slice(-2)).toEqual(['abort', 'release orders:2']);
  });

  it('nack writes the retry copy and the position together; a commit that fails rejects and leaves the offset unfinished', async () => {
    const ok = setup();
    const copy: ProducerRecord = { topic: 'orders.g.retry', key: null, value: Buffer.from('x'), headers: {}, timestamp: '1' };
    await ok.settlement.nack(ok.entries[1]!, copy);
    // 10 is still unfinished: the transaction commits the position 10, and 11 is done.
    expect(ok.log).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send orders.g.retry', 'commit orders:2@10']);
    expect(ok.part.tracker.positionWith(10)).toBe(12);
    const failing = setup({ commitFails: true });
    await expect(failing.settlement.nack(failing.entries[0]!, copy)).rejects.toThrow('producer fenced');
    // The outcome is learnt first: a new producer for the id, then the group's offset (read again
    // a few times while short of the position; none: aborted).
    expect(failing.log.slice(0, 8)).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send orders.g.retry', 'abort', 'release orders:2', 'prepare orders:2', 'offset orders:2']);
    expect(failing.log.slice(8)).toEqual(Array(5).fill('offset orders:2'));
    expect(failing.part.tracker.position()).toBe(10);
  });

  it('a commit that failed but committed (its answer lost) finishes the entry: the handler does not run again', async () => {
    const { settlement, part, entries, log, out } = setup({ commitFails: true, committed: [-1, 11] });
    await settlement.transact(entries[0]!, async (send) => send([out('shipments')]));
    expect(log).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send shipments', 'abort', 'release orders:2', 'prepare orders:2', 'offset orders:2']);
    expect(part.tracker.position()).toBe(11);
    expect(part.committed).toBe(11);
  });

  it('a failed commit that did not commit rejects, and the offset stays unfinished', async () => {
    const { settlement, part, entries, out } = setup({ commitFails: true, committed: [-1, 10] });
    await expect(settlement.transact(entries[0]!, async (send) => send([out('shipments')]))).rejects.toThrow('producer fenced');
    expect(part.tracker.position()).toBe(10);
    expect(part.committed).toBe(-1);
  });

  it('reads the committed offset again while it is short of the position (the group applies a completed transaction after it)', async () => {
    const { settlement, part, entries, log, out } = setup({ commitFails: true, committed: [-1, -1, -1, 11] });
    await settlement.transact(entries[0]!, async (send) => send([out('shipments')]));
    expect(log.filter((l) => l.startsWith('offset'))).toHaveLength(4); // the fence's read, then three
    expect(part.tracker.position()).toBe(11);
  });

  it('keeps trying to learn the outcome while the broker is away', async () => {
    const { settlement, part, entries, log, out, warnings } = setup({ commitFails: true, committed: [-1, 11], prepareFailsAfter: 1 });
    await settlement.transact(entries[0]!, async (send) => send([out('shipments')]));
    expect(log.filter((l) => l.startsWith('prepare'))).toHaveLength(3); // the fence, a failed try, the one that answered
    expect(part.tracker.position()).toBe(11);
    expect(warnings).toEqual([]);
  });

  it('when the outcome cannot be learnt in time, the failure stands, with a warning that the output may appear twice', async () => {
    const { settlement, part, entries, out, warnings } = setup({ commitFails: true, committed: [-1, 11], prepareFailsAfter: 100 });
    await expect(settlement.transact(entries[0]!, async (send) => send([out('shipments')]))).rejects.toThrow('producer fenced');
    expect(part.tracker.position()).toBe(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Kafka transaction commit of orders:2 failed (producer fenced) and its outcome could not be learnt within 300 ms (broker unreachable)');
  });

  it('a partition revoked while its commit failed is not looked into: a new producer would fence its new owner', async () => {
    const revoked = setup({ commitFails: true, committed: [-1, 11], onCommit: () => void (revoked.part.released = true) });
    await expect(revoked.settlement.transact(revoked.entries[0]!, async (send) => send([revoked.out('shipments')]))).rejects.toThrow('producer fenced');
    expect(revoked.log).toEqual(['prepare orders:2', 'offset orders:2', 'begin orders:2', 'send shipments', 'abort', 'release orders:2']);
  });

  it("a partition's first transaction here fences its previous owner, and skips what that owner committed after this member started reading", async () => {
    // The previous owner committed up to 11 (entry 10 done) after this member read its start.
    const { settlement, part, entries, log, out } = setup({ committed: 11 });
    let ran = 0;
    await settlement.transact(entries[0]!, async (send) => {
      ran++;
      await send([out('shipments')]);
    });
    expect(ran).toBe(0);
    expect(log).toEqual(['prepare orders:2', 'offset orders:2']);
    expect(part.tracker.position()).toBe(11);
    // Entry 11 is past it: it runs, and the fence is not repeated.
    await settlement.transact(entries[1]!, async (send) => {
      ran++;
      await send([out('shipments')]);
    });
    expect(ran).toBe(1);
    expect(log.slice(2)).toEqual(['begin orders:2', 'send shipments', 'commit orders:2@12']);
  });

  it('a fence that fails fails the delivery, and the next transaction fences again', async () => {
    const { settlement, entries, log, out } = setup();
    const fake = (settlement as unknown as { deps: { transactions: { prepare: () => Promise<void> } } }).deps.transactions;
    const prepare = fake.prepare;
    fake.prepare = async () => {
      log.push('prepare failed');
      throw new Error('coordinator not available');
    };
    await expect(settlement.transact(entries[0]!, async (send) => send([out('shipments')]))).rejects.toThrow('coordinator not available');
    fake.prepare = prepare;
    await settlement.transact(entries[0]!, async (send) => send([out('shipments')]));
    expect(log).toEqual(['prepare failed', 'prepare orders:2', 'offset orders:2', 'begin orders:2', 'send shipments', 'commit orders:2@11']);
  });

  it('nack of a revoked partition refuses before opening a transaction', async () => {
    const { settlement, part, entries, log } = setup();
    part.released = true;
    const copy: ProducerRecord = { topic: 'orders.g.retry', key: null, value: Buffer.from('x'), headers: {}, timestamp: '1' };
    await expect(settlement.nack(entries[0]!, copy)).rejects.toMatchObject({ code: 'FERRY_KAFKA_TRANSACTION' });
    expect(log).toEqual([]);
  });
});
