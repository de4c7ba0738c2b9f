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
function producers(options: { commitFails?: boolean } = {}) {
  const log: string[] = [];
  const fake = {
    begin: async (topic: string, partition: number): Promise<PartitionTransaction> => {
      log.push(`begin ${topic}:${partition}`);
      return {
        send: async (records: readonly ProducerRecord[]) => void log.push(`send ${records.map((r) => r.topic).join(',')}`),
        commit: async (position) => {
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

function setup(options: { commitFails?: boolean } = {}) {
  const consumer = new FakeConsumer();
  const commits = new CommitBatcher(() => consumer as unknown as DriverConsumer, { group: 'g', logger: () => silentLogger });
  const { fake, log } = producers(options);
  const prepare = async (messages: readonly OutgoingMessage[]) => messages.map((m): ProducerRecord => ({ topic: m.topic, key: null, value: Buffer.from(m.payload), headers: {}, timestamp: '1' }));
  const settlement = new TransactionalSettlement({ transactions: fake, commits, prepare });
  const part = new Partition('orders', 2, false);
  const entries = [10, 11].map((offset): Entry => {
    part.tracker.take(offset);
    return { part, offset, decoded: decode('orders', 2, record('orders', offset, 'x')) };
  });
  const out = (topic: string): OutgoingMessage => ({ id: 'o', type: 't', topic, headers: {}, payload: new Uint8Array(1), timestamp: 1 });
  return { consumer, settlement, part, entries, log, out };
}

describe('TransactionalSettlement', () => {
  it("commits the handler's sends with the partition's position past the entry, in one transaction", async () => {
    const { settlement, part, entries, log, out } = setup();
    await settlement.transact(entries[0]!, async (send) => {
      await send([out('shipments')]);
      await send([out('invoices')]);
    });
    expect(log).toEqual(['begin orders:2', 'send shipments', 'send invoices', 'commit orders:2@11']);
    expect(part.tracker.position()).toBe(11);
    expect(part.committed).toBe(11);
  });

  it('a handler that publishes nothing commits its offset with a plain commit, no transaction', async () => {
    const { consumer, settlement, entries, log } = setup();
    await settlement.transact(entries[0]!, async () => undefined);
    expect(log).toEqual([]);
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 2, offset: '11' }]]);
  });

  it('a failed handler aborts the transaction and drops the producer; the offset stays unfinished', async () => {
    const { settlement, part, entries, log, out } = setup();
    await expect(settlement.transact(entries[0]!, async (send) => {
      await send([out('shipments')]);
      throw new Error('handler failed');
    })).rejects.toThrow('handler failed');
    expect(log).toEqual(['begin orders:2', 'send shipments', 'abort', 'release orders:2']);
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
    expect(ok.log).toEqual(['begin orders:2', 'send orders.g.retry', 'commit orders:2@10']);
    expect(ok.part.tracker.positionWith(10)).toBe(12);
    const failing = setup({ commitFails: true });
    await expect(failing.settlement.nack(failing.entries[0]!, copy)).rejects.toThrow('producer fenced');
    expect(failing.log).toEqual(['begin orders:2', 'send orders.g.retry', 'abort', 'release orders:2']);
    expect(failing.part.tracker.position()).toBe(10);
  });
});
