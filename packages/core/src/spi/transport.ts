import type { Capabilities } from './capabilities.ts';
import type { DeliverySink } from './delivery.ts';
import type { OutgoingMessage } from './envelope.ts';

/**
 * What an adapter implements: it translates to its broker and decides nothing. Core wraps every
 * transport (guardTransport): it refuses use after close, checks each send against `capabilities`
 * and each subscription's start position, calls `close` once, after closing the subscriptions.
 */
export interface Transport {
  /** Short name for errors and logs: `memory`, `kafka`, `rabbitmq`, `sqs`. */
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Opens connections before the first use. Leave it out to connect on first use. */
  connect?(): Promise<void>;
  /**
   * Resolves once the broker has accepted every message (acks=all, publisher confirm, a batch
   * success); rejects otherwise, naming which. Check only limits of your own. Concurrent calls
   * may be coalesced into broker batches.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Delivers `spec.topic`'s messages for `spec.group` to `sink`, handing over only while
   * `sink.room > 0` (size prefetch and receives by `spec.maxInFlight`). Resolves once receiving.
   */
  subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription>;
  /** Closes connections; the subscriptions are closed already. */
  close(): Promise<void>;
}

export interface Subscription {
  /**
   * Stops fetching (a push consumer cancels, a poller ends its polls); resolves once nothing more
   * will be handed over. Core releases what it holds after that. Without it the adapter just sees
   * `sink.room` 0, and what it still hands over is released at once.
   */
  stop?(): Promise<void>;
  /**
   * Ends the subscription. Core has released what it held; a delivery whose settle call is still
   * under way is the adapter's to finish or leave to the broker (uncommitted, unacked, lease).
   */
  close(): Promise<void>;
}

export interface SubscriptionSpec {
  readonly topic: string;
  readonly group: string;
  /** Most deliveries core holds unsettled: the ceiling of `sink.room`. */
  readonly maxInFlight: number;
  /** Where the group starts: `stored` is its committed position (a new group: the earliest retained message, the queue head). */
  readonly start: StartPosition;
  /** Where core sends this subscription's dead letters. A queue broker declares it now, kept for DEAD_LETTER_GROUP until redriven. */
  readonly deadLetterTopic: string;
  /** Longest core holds a delivery. A broker with leases (SQS visibility) extends them while held, up to this. */
  readonly handlerTimeoutMs: number;
  /** Core keeps per-key order; an adapter that needs topology for it (single active consumer, FIFO queues) sets it up. */
  readonly orderedByKey: boolean;
  /** Under at-most-once core acks before the handler: `ack()` must resolve only once the broker has it. */
  readonly delivery: 'at-most-once' | 'at-least-once' | 'exactly-once';
}

export type StartPosition =
  | { readonly from: 'stored' }
  | { readonly from: 'earliest' }
  | { readonly from: 'offset'; readonly offset: number; readonly partition?: number }
  | { readonly from: 'timestamp'; readonly timestamp: number };

/** How adapters plug into `createClient(url)`: the scheme's package exports `createTransport` (client/registry.ts). */
export type TransportFactory = (url: URL, options: Readonly<Record<string, unknown>>) => Transport;

/** The group whose queue keeps a dead-letter topic's messages (redrive reads with it). */
export const DEAD_LETTER_GROUP = 'ferry-dead-letters';
