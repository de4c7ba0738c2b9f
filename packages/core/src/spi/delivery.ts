import type { Envelope, OutgoingMessage } from './envelope.ts';

/** Where a delivery came from (dead-letter headers, logs, replay by offset): partition/offset, queue, message id. */
export type Coordinates = Readonly<Record<string, string | number>>;

/**
 * One received message, payload undecoded. Core settles it once: one of ack, nack, transact or
 * release succeeds, a call that rejected is made again later, and none comes after core released
 * it or the subscription closed. The adapter keeps no count or flag of its own for that.
 */
export interface Delivery {
  readonly envelope: Envelope;
  /**
   * 1 on the first delivery, one more on each redelivery to the group, counted by the broker (a
   * header on the retry copy, a delivery count, ApproximateReceiveCount). A broker that cannot
   * count a redelivery it made itself (after a crash) gives the count it has: the idempotency
   * store's claim limit still stops a message that keeps crashing its consumers.
   */
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /** Done: never delivered to this group again. */
  ack(): Promise<void>;
  /**
   * Deliver again to this group only, attempt + 1, no earlier than `delayMs` from now, without
   * holding back other messages. Rejects, changing nothing, when that cannot be arranged (the retry
   * copy was not written): core tries again with backoff.
   */
  nack(delayMs: number): Promise<void>;
  /** Give it back for redelivery to this group now. Without it the broker does it at close (uncommitted offset, closed channel). */
  release?(): Promise<void>;
  /**
   * With `capabilities.transactions`: runs `work` so that what it sends and this delivery's ack
   * commit together, or nothing does.
   */
  transact?(work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void>;
  /** With `transact`: deliveries sharing it (a Kafka partition) commit in order, so core runs them one at a time. */
  readonly serialKey?: string;
}

/** Where a subscription hands its deliveries: core's in-flight bound and settle-once bookkeeping. */
export interface DeliverySink {
  /** How many deliveries core takes now: `spec.maxInFlight` minus those it holds; 0 once stopped. */
  readonly room: number;
  /** True once core takes no more (closing): what it is handed then, it releases at once. */
  readonly stopped: boolean;
  deliver(delivery: Delivery): void;
  /** Resolves when a held delivery is settled or released, or core stops. Check `room` again then. */
  whenRoom(): Promise<void>;
}
