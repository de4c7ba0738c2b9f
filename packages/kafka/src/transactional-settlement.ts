import { errorFields, FerryError, type Logger, type OutgoingMessage } from '@ferry/core/spi';
import type { CommitBatcher } from './commit-batcher.ts';
import type { ProducerRecord } from './driver.ts';
import type { Entry, Partition } from './partition.ts';
import type { PartitionTransaction, TransactionalProducers } from './transactions.ts';

export interface TransactionalSettlementDeps {
  readonly transactions: TransactionalProducers;
  readonly commits: CommitBatcher;
  /** Encodes what a handler publishes inside a transaction (core checked it), creating its topics. */
  readonly prepare: (messages: readonly OutgoingMessage[]) => Promise<ProducerRecord[]>;
  /** The group's committed offset of a partition (-1: none), read from the broker. */
  readonly committedOffset: (topic: string, partition: number) => Promise<number>;
  /** How long to keep trying to learn a failed commit's outcome while the broker is away. */
  readonly outcomeWithinMs: number;
  readonly logger: () => Logger;
}

/** Waits between tries to learn a failed commit's outcome (the broker restarting, a coordinator moving). */
const OUTCOME_BACKOFF_MS = [200, 500, 1000, 2000, 5000];
/**
 * Waits between reads of a committed offset still short of the position: the group coordinator
 * applies a completed transaction's offsets after the transaction coordinator calls it complete,
 * and kafkajs's OffsetFetch cannot ask to wait for them (KIP-447's require_stable).
 */
const REREAD_MS = [50, 100, 200, 400, 800];

/**
 * Settling in a Kafka transaction of the input partition's transactional producer: what is sent
 * and the consumed position commit together, or neither does. Core runs a partition's
 * transactional deliveries one at a time (serialKey), so every earlier offset of the partition is
 * settled and the committed position is exactly the entry's offset + 1.
 */
export class TransactionalSettlement {
  /** Per partition (one object per assignment): the fence of its first transaction here (see fence). */
  private readonly fences = new WeakMap<Partition, Promise<void>>();

  constructor(private readonly deps: TransactionalSettlementDeps) {}

  /**
   * Consume-transform-produce: `work`'s sends and the entry's position in one transaction. The
   * transaction opens with the first send: a handler that publishes nothing needs only its offset
   * committed, which one plain commit does atomically (far cheaper than a transaction).
   */
  async transact(entry: Entry, work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    const { part } = entry;
    if (await this.committedBefore(entry)) return;
    let tx: PartitionTransaction | undefined;
    try {
      await work(async (messages) => {
        const records = await this.deps.prepare(messages);
        tx ??= await this.deps.transactions.begin(part.topic, part.partition);
        await tx.send(records);
      });
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the transaction.`);
    } catch (error) {
      if (tx) await this.abandon(tx, part);
      throw error;
    }
    if (tx) {
      await this.commit(tx, entry);
    } else {
      part.tracker.finish(entry.offset);
      await this.deps.commits.request(part);
    }
  }

  /**
   * A retry copy and the entry's position in one transaction: a crash between a plain copy and a
   * plain commit would leave the copy and redeliver the original too, two attempts that a
   * per-process idempotency store (empty after the crash) would both run. Rejects if it did not commit.
   */
  async nack(entry: Entry, copy: ProducerRecord): Promise<void> {
    const { part } = entry;
    if (await this.committedBefore(entry)) return;
    let tx: PartitionTransaction | undefined;
    try {
      tx = await this.deps.transactions.begin(part.topic, part.partition);
      await tx.send([copy]);
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the retry.`);
    } catch (error) {
      if (tx) await this.abandon(tx, part);
      throw error;
    }
    await this.commit(tx, entry);
  }

  /**
   * Before this member's first transaction on a partition it was given: its producer for the
   * partition's transactional id connects, which fences the previous owner's (the coordinator
   * aborts its open transaction, or completes a commit it had begun), and then the group's
   * committed offset is read again. The member started reading from the offset committed when it
   * was given the partition; the previous owner, not yet told of the rebalance, may have committed
   * transactions after that. Without this, their messages would run here too and their output
   * would be committed twice. Once fenced, the previous owner cannot commit anything more.
   */
  private fence(part: Partition): Promise<void> {
    let fencing = this.fences.get(part);
    if (!fencing) {
      fencing = (async () => {
        await this.deps.transactions.prepare(part.topic, part.partition);
        part.committed = Math.max(part.committed, await this.deps.committedOffset(part.topic, part.partition));
      })();
      // A failure (the broker away) fails this delivery; the next one fences again.
      fencing.catch(() => this.fences.delete(part));
      this.fences.set(part, fencing);
    }
    return fencing;
  }

  /**
   * Before a transaction of `entry`: refuses a revoked partition (before any producer for its
   * transactional id is made: it would fence the new owner's), fences the previous owner, and
   * finishes the entry if that owner committed it after this member read where to start (true:
   * nothing more to do).
   */
  private async committedBefore(entry: Entry): Promise<boolean> {
    const { part } = entry;
    if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer; the message will be delivered there.`);
    await this.fence(part);
    if (entry.offset >= part.committed) return false;
    part.tracker.finish(entry.offset);
    return true;
  }

  /**
   * Commits `tx` with the partition's position past this entry, and records the entry finished.
   * A commit that fails may have committed all the same: the coordinator got EndTxn and the answer
   * was lost (a cut connection, a broker restart). Failing then would run the handler again and
   * publish its output twice, so the outcome is learnt first (committedAnyway).
   */
  private async commit(tx: PartitionTransaction, entry: Entry): Promise<void> {
    const { part } = entry;
    // A plain commit of this partition still under way must not land after (and undo) the
    // transaction's. Only this partition's: other partitions' commits do not touch its position.
    await this.deps.commits.idleFor(part);
    const position = part.tracker.positionWith(entry.offset);
    try {
      await tx.commit({ topic: part.topic, partition: part.partition, offset: position });
    } catch (error) {
      await this.abandon(tx, part);
      if (!(await this.committedAnyway(part, position, error))) throw error;
    }
    part.tracker.finish(entry.offset);
    part.committed = Math.max(part.committed, position);
  }

  /**
   * Whether a transaction whose commit failed committed all the same. A new producer with the
   * partition's transactional id makes the coordinator finish what it holds of the old one
   * (completes a commit it had begun, aborts the rest); the group's committed offset then says
   * which happened. Only while the partition is this member's: a new producer would otherwise
   * fence its new owner's, and that owner reads from the committed offset whatever happened. If
   * the broker stays away past `outcomeWithinMs`, the failure stands, with a warning: a run
   * again may then duplicate the output.
   */
  private async committedAnyway(part: Partition, position: number, failure: unknown): Promise<boolean> {
    const deadline = Date.now() + this.deps.outcomeWithinMs;
    for (let attempt = 0; !part.released; attempt++) {
      try {
        await this.deps.transactions.prepare(part.topic, part.partition);
        return await this.positionReached(part, position);
      } catch (error) {
        await this.deps.transactions.release(part.topic, part.partition);
        if (Date.now() >= deadline) {
          const err = errorFields(failure); // messages redacted
          this.deps.logger().warn(
            { partition: part.key, offset: position - 1, err },
            `Kafka transaction commit of ${part.key} failed (${String(err.message)}) and its outcome could not be learnt within ${this.deps.outcomeWithinMs} ms (${String(errorFields(error).message)}): the message runs again, and its output may appear twice`,
          );
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, OUTCOME_BACKOFF_MS[Math.min(attempt, OUTCOME_BACKOFF_MS.length - 1)]));
      }
    }
    return false;
  }

  /** Whether the group's committed offset reached `position`, read again a few times while short of it. */
  private async positionReached(part: Partition, position: number): Promise<boolean> {
    for (let read = 0; ; read++) {
      if ((await this.deps.committedOffset(part.topic, part.partition)) >= position) return true;
      if (read === REREAD_MS.length || part.released) return false;
      await new Promise((resolve) => setTimeout(resolve, REREAD_MS[read]));
    }
  }

  /** Aborts `tx` and drops the partition's producer: a fenced or failed producer cannot be reused. */
  private async abandon(tx: PartitionTransaction, part: Partition): Promise<void> {
    await tx.abort().catch(() => undefined);
    await this.deps.transactions.release(part.topic, part.partition);
  }
}
