import { FerryError, type OutgoingMessage } from '@ferry/core/spi';
import type { CommitBatcher } from './commit-batcher.ts';
import type { ProducerRecord } from './driver.ts';
import type { Entry, Partition } from './partition.ts';
import type { PartitionTransaction, TransactionalProducers } from './transactions.ts';

export interface TransactionalSettlementDeps {
  readonly transactions: TransactionalProducers;
  readonly commits: CommitBatcher;
  /** Encodes what a handler publishes inside a transaction (core checked it), creating its topics. */
  readonly prepare: (messages: readonly OutgoingMessage[]) => Promise<ProducerRecord[]>;
}

/**
 * Settling in a Kafka transaction of the input partition's transactional producer: what is sent
 * and the consumed position commit together, or neither does. Core runs a partition's
 * transactional deliveries one at a time (serialKey), so every earlier offset of the partition is
 * settled and the committed position is exactly the entry's offset + 1.
 */
export class TransactionalSettlement {
  constructor(private readonly deps: TransactionalSettlementDeps) {}

  /**
   * Consume-transform-produce: `work`'s sends and the entry's position in one transaction. The
   * transaction opens with the first send: a handler that publishes nothing needs only its offset
   * committed, which one plain commit does atomically (far cheaper than a transaction).
   */
  async transact(entry: Entry, work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    const { part } = entry;
    if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer; the message will be delivered there.`);
    let tx: PartitionTransaction | undefined;
    try {
      await work(async (messages) => {
        const records = await this.deps.prepare(messages);
        tx ??= await this.deps.transactions.begin(part.topic, part.partition);
        await tx.send(records);
      });
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the transaction.`);
      if (tx) {
        await this.commit(tx, entry);
      } else {
        part.tracker.finish(entry.offset);
        await this.deps.commits.request(part);
      }
    } catch (error) {
      if (tx) await this.abandon(tx, part);
      throw error;
    }
  }

  /**
   * A retry copy and the entry's position in one transaction: a crash between a plain copy and a
   * plain commit would leave the copy and redeliver the original too, two attempts that a
   * per-process idempotency store (empty after the crash) would both run. Rejects if it did not commit.
   */
  async nack(entry: Entry, copy: ProducerRecord): Promise<void> {
    const { part } = entry;
    let tx: PartitionTransaction | undefined;
    try {
      tx = await this.deps.transactions.begin(part.topic, part.partition);
      await tx.send([copy]);
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the retry.`);
      await this.commit(tx, entry);
    } catch (error) {
      if (tx) await this.abandon(tx, part);
      throw error;
    }
  }

  /** Commits `tx` with the partition's position past this entry, and records the entry finished. */
  private async commit(tx: PartitionTransaction, entry: Entry): Promise<void> {
    const { part } = entry;
    // A plain commit of this partition still under way must not land after (and undo) the
    // transaction's. Only this partition's: other partitions' commits do not touch its position.
    await this.deps.commits.idleFor(part);
    const position = part.tracker.positionWith(entry.offset);
    await tx.commit({ topic: part.topic, partition: part.partition, offset: position });
    part.tracker.finish(entry.offset);
    part.committed = Math.max(part.committed, position);
  }

  /** Aborts `tx` and drops the partition's producer: a fenced or failed producer cannot be reused. */
  private async abandon(tx: PartitionTransaction, part: Partition): Promise<void> {
    await tx.abort().catch(() => undefined);
    await this.deps.transactions.release(part.topic, part.partition);
  }
}
