import type { OutgoingMessage, SubscriptionSpec } from '@ferry/core/spi';
import { encode, sameForm } from './codec.ts';
import type { CommitBatcher } from './commit-batcher.ts';
import type { ProducerRecord } from './driver.ts';
import type { Entry } from './partition.ts';
import type { TransactionalSettlement } from './transactional-settlement.ts';

const RESOLVED = Promise.resolve();

export interface SettlementDeps {
  readonly commits: CommitBatcher;
  readonly transactional: TransactionalSettlement;
  /** Writes retry copies (the transport's producer: acks=all). */
  readonly send: (record: ProducerRecord, message: OutgoingMessage) => Promise<void>;
  /** ack() waits for its commit (at-most-once, or the ackAwaitsCommit option). */
  readonly ackAwaitsCommit: boolean;
  /** The group's retry topic: nack copies go there. */
  readonly retryTopic: string;
}

/**
 * What ack and nack mean on Kafka: an offset finished (committed up to the lowest unfinished one),
 * or a copy in the group's retry topic with attempt+1 and a due time, then the offset finished.
 * On a revoked partition both do nothing: the next owner has the record.
 */
export class Settlement {
  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly deps: SettlementDeps,
  ) {}

  /** Not async: without ackAwaitsCommit (at-least-once's default) nothing is awaited, and this runs for every message. */
  ack(entry: Entry): Promise<void> {
    const { part } = entry;
    if (part.released) return RESOLVED;
    try {
      part.tracker.finish(entry.offset);
      if (this.spec.delivery === 'at-most-once') part.ackedAbove = Math.max(part.ackedAbove, entry.offset + 1);
      // Awaited: the offset is stored before ack() resolves, which at-most-once needs (it acks before
      // the handler). Not awaited: at-least-once throughput without an offset commit per handler slot.
      if (this.deps.ackAwaitsCommit) return this.deps.commits.request(part);
      this.deps.commits.mark(part);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Redelivery to this group only (the retry topic is read back by this subscription, held until
   * due). Exactly-once writes copy and position in one transaction. When the copy is not written
   * (or its transaction does not commit) this rejects and changes nothing: the offset stays
   * unfinished, and core calls nack again with backoff.
   */
  async nack(entry: Entry, delayMs: number): Promise<void> {
    if (entry.part.released) return;
    const { envelope } = entry.decoded;
    const copy = encode(envelope, { recordTopic: this.deps.retryTopic, attempt: entry.decoded.attempt + 1, dueAt: Date.now() + delayMs }, sameForm(entry.decoded));
    if (this.spec.delivery === 'exactly-once') return this.deps.transactional.nack(entry, copy);
    await this.deps.send(copy, envelope);
    entry.part.tracker.finish(entry.offset);
    await this.deps.commits.request(entry.part);
  }

  transact(entry: Entry, work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    return this.deps.transactional.transact(entry, work);
  }
}
