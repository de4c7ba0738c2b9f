import type { Capabilities } from './capabilities.ts';
import type { Envelope, OutgoingMessage } from './envelope.ts';

/**
 * The Transport SPI: the whole contract between core and an adapter. An adapter translates
 * these calls to its broker; it does not decide delivery semantics (retry, dead-letter policy,
 * idempotency, ack timing all live in core's consume loop).
 */
export interface Transport {
  /** Short name used in errors and logs: `memory`, `kafka`, `rabbitmq`, `sqs`. */
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Opens connections. Idempotent. */
  connect(): Promise<void>;
  /**
   * Sends messages; resolves when the broker has accepted all of them (acks=all, publisher
   * confirm, SendMessageBatch success). Rejects if any was not accepted; the error names which.
   * Adapters may coalesce concurrent calls into broker batches.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Starts delivering messages of `spec.topic` for `spec.group` to `onDelivery`. The adapter
   * keeps at most `spec.maxInFlight` deliveries unsettled (prefetch, paused partitions, fewer
   * receives). `onDelivery` is called for each delivery; its promise resolving does not settle it.
   */
  subscribe(spec: SubscriptionSpec, onDelivery: (delivery: Delivery) => void): Promise<Subscription>;
  /** Closes subscriptions and connections. Idempotent. Sends after close reject. */
  close(): Promise<void>;
}

export type StartPosition =
  | { readonly from: 'stored' }
  | { readonly from: 'earliest' }
  | { readonly from: 'offset'; readonly offset: number; readonly partition?: number }
  | { readonly from: 'timestamp'; readonly timestamp: number };

export interface SubscriptionSpec {
  readonly topic: string;
  readonly group: string;
  /** Upper bound on unsettled deliveries handed to `onDelivery`. */
  readonly maxInFlight: number;
  /** Where a subscription starts. `stored`: the group's committed position (new groups: earliest retained / queue head). */
  readonly start: StartPosition;
  /**
   * Where core sends this subscription's dead letters (with `send`). Queue-based adapters declare
   * it up front, with a queue for DEAD_LETTER_GROUP, so dead letters are kept until redriven.
   */
  readonly deadLetterTopic: string;
  /** Longest time core may hold a delivery before settling; adapters with leases (SQS visibility) extend up to this. */
  readonly handlerTimeoutMs: number;
  /** Core needs per-key order; adapters that need special topology for it (FIFO queues) use it. */
  readonly orderedByKey: boolean;
  /**
   * The consumer's guarantee. Under at-most-once core acks before the handler, so `ack()` must
   * resolve only once the broker has recorded it; otherwise an adapter may settle in the
   * background (a later ack, or a crash, at worst redelivers).
   */
  readonly delivery: 'at-most-once' | 'at-least-once' | 'exactly-once';
}

export interface Subscription {
  /**
   * Stops new deliveries: no `onDelivery` call after the promise resolves. Unsettled deliveries
   * stay settleable (core finishes in-flight handlers after this). Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Releases the subscription. Deliveries still unsettled go back to the broker and are delivered
   * again later (to this group), so nothing is lost. Idempotent; implies stop().
   */
  close(): Promise<void>;
}

/** Where a delivery came from, for dead-letter headers and logs: partition/offset, queue, receipt. */
export type Coordinates = Readonly<Record<string, string | number>>;

/**
 * One received message. Core calls ack or nack at most once per delivery (dead-lettering is core
 * sending a copy to `deadLetterTopic`, then ack). A delivery core never settles is released by
 * `Subscription.close()` and delivered again.
 * `envelope.payload` is the raw bytes; decoding happens in core.
 */
export interface Delivery {
  readonly envelope: Envelope;
  /** 1 on first delivery; counted by the transport (header, ApproximateReceiveCount, ...). */
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /** Done: never delivered again to this group. */
  ack(): Promise<void>;
  /**
   * Deliver again, attempt + 1, to this group, no earlier than `delayMs` from now (0 = as soon
   * as possible). Must not block other messages while waiting.
   */
  nack(delayMs: number): Promise<void>;
  /**
   * Present when capabilities.transactions: runs `work` so that every message it sends and
   * this delivery's ack commit atomically, or none does.
   */
  transact?(work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void>;
  /**
   * With `transact`: deliveries sharing this key (a Kafka partition) must commit in order, so core
   * runs them one at a time, in arrival order, when it uses transactions.
   */
  readonly serialKey?: string;
}

/**
 * How adapters plug into `createClient(url)`: a module exporting `createTransport` under the
 * scheme's package (see client/registry.ts).
 */
export type TransportFactory = (url: URL, options: Readonly<Record<string, unknown>>) => Transport;

/** The group whose queue keeps a dead-letter topic's messages (redrive reads with it). */
export const DEAD_LETTER_GROUP = 'ferry-dead-letters';
