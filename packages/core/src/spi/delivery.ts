import type { Envelope, OutgoingMessage } from './envelope.ts';

/** Where a delivery came from (dead-letter headers, logs, replay by offset): partition/offset, queue, message id. */
export type Coordinates = Readonly<Record<string, string | number>>;

/**
 * One received message, payload undecoded. Core settles it once: ack, nack, transact or release
 * (a call that rejected may be made again), never after it was released or its subscription closed.
 */
export interface Delivery {
  readonly envelope: Envelope;
  /**
   * 1, then one more on each redelivery to the group, counted by the broker (a header on the retry
   * copy, a delivery count). A broker that cannot count a redelivery it made (after a crash) gives
   * what it has: the idempotency step's claim limit still stops a message that crashes its consumers.
   */
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /**
   * Set when the adapter could not read the message's envelope (a malformed metadata header):
   * `envelope` holds what could be kept (an id made from the coordinates). Core runs no handler
   * and dead-letters it as kind `decode`, with this error's message as the reason.
   */
  readonly envelopeError?: Error | undefined;
  /** Done: never delivered to this group again. */
  ack(): Promise<void>;
  /**
   * Again to this group only, attempt + 1, not before `delayMs`, holding nothing else back. Rejects,
   * changing nothing, when that cannot be arranged (the retry copy was not written): core retries.
   */
  nack(delayMs: number): Promise<void>;
  /** Back to the group now (core's release at close). Without it the broker does it when the subscription closes. */
  release?(): Promise<void>;
  /** With `capabilities.transactions`: what `work` sends and this ack commit together, or nothing does. */
  transact?(work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void>;
  /** With `transact`: deliveries sharing it (a partition) commit in order; core runs them one at a time. */
  readonly serialKey?: string;
}

/** Where a subscription hands its deliveries: core's in-flight bound and settle-once bookkeeping. */
export interface DeliverySink {
  /** `spec.maxInFlight` minus the deliveries core holds; 0 once stopped. */
  readonly room: number;
  /** Core takes no more (closing): what it is handed now, it releases at once. */
  readonly stopped: boolean;
  deliver(delivery: Delivery): void;
  /** Resolves when core settles or releases a delivery, or stops: check `room` again then. */
  whenRoom(): Promise<void>;
  /**
   * The subscription can deliver nothing more and will not recover by itself (its client gave up,
   * its connection or queue is gone, receives keep failing). Call it once, stop handing
   * deliveries, and leave the rest to core: it reports the error, closes this subscription
   * (releasing what it holds, then `close()`) and subscribes again with the same spec, with
   * backoff. Ignored once core has stopped the sink.
   */
  fail(error: unknown): void;
}
