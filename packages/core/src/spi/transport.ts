import type { Capabilities } from './capabilities.ts';
import type { DeliverySink } from './delivery.ts';
import type { OutgoingMessage } from './envelope.ts';

/**
 * What an adapter implements: it translates to its broker and decides nothing. Core guards it
 * (guardTransport): no use after close, every send and start position checked against
 * `capabilities`, `close` called once, after the subscriptions are closed.
 */
export interface Transport {
  /** For errors and logs: `memory`, `kafka`, `rabbitmq`, `sqs`. */
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Opens connections up front; leave it out to connect on first use. */
  connect?(): Promise<void>;
  /**
   * Resolves once the broker has every message (acks=all, confirms), else rejects naming which.
   * Check only limits of your own; concurrent calls may be coalesced into batches.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  /** Delivers the topic's messages for the group to `sink`, only while `sink.room > 0`. Resolves once receiving. */
  subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription>;
  /**
   * A broker that keeps messages only for queues that exist (RabbitMQ, SQS) makes these groups'
   * queues exist now, as `subscribe` would, so what is published from now on is kept for them.
   * Core calls it once per topic before the first publish to it (the client's `topics` option).
   * Leave it out when a topic keeps its messages for groups that come later (a log).
   */
  declareGroups?(declaration: GroupDeclaration): Promise<void>;
  /**
   * Whether the broker keeps `topic`'s messages for `group` now (its topic or queue exists),
   * creating nothing. Tools that read what exists (`ferry dlq`) ask before subscribing, which
   * would create it. Leave it out when you cannot tell: they then subscribe as a consumer would.
   */
  hasGroup?(topic: string, group: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The groups a topic keeps messages for, declared before its consumers first start. */
export interface GroupDeclaration {
  readonly topic: string;
  readonly groups: readonly string[];
  /** As a default consumer of the groups subscribes: `<topic>.dlq`, and key order if the transport declares it. */
  readonly deadLetterTopic: string;
  readonly orderedByKey: boolean;
}

export interface Subscription {
  /**
   * Stops fetching; resolves once nothing more will be handed over (a long poll ended). Core
   * releases what it holds after that. Without it the adapter sees `sink.room` 0.
   */
  stop?(): Promise<void>;
  /** Core has released what it held; a delivery with a settle call under way is the adapter's (or the broker's). */
  close(): Promise<void>;
  /** Messages waiting for the group, as far as the broker tells (progress lines, metrics). */
  lag?(): Promise<{ messages: number }>;
}

export interface SubscriptionSpec {
  readonly topic: string;
  readonly group: string;
  /** Most deliveries core holds: size prefetch and receives by it. */
  readonly maxInFlight: number;
  /** `stored`: the group's committed position; a new group starts at the earliest retained message. */
  readonly start: StartPosition;
  /**
   * Where core sends dead letters: a queue broker declares it now, kept for DEAD_LETTER_GROUP until
   * redriven. Empty when nothing is dead-lettered from this subscription (reading a dead-letter
   * topic): declare nothing then.
   */
  readonly deadLetterTopic: string;
  /** Longest core holds a delivery: a broker with leases (SQS visibility) extends them up to this. */
  readonly handlerTimeoutMs: number;
  /** Core keeps key order: set up what the broker needs for it (single active consumer, FIFO queues). */
  readonly orderedByKey: boolean;
  /** Under at-most-once core acks before the handler: `ack()` resolves only once the broker has it. */
  readonly delivery: 'at-most-once' | 'at-least-once' | 'exactly-once';
}

export type StartPosition =
  | { readonly from: 'stored' }
  | { readonly from: 'earliest' }
  | { readonly from: 'offset'; readonly offset: number; readonly partition?: number }
  | { readonly from: 'timestamp'; readonly timestamp: number };

/** What an adapter package exports as `createTransport`, for `createClient(url)` (client/registry.ts). */
export type TransportFactory = (url: URL, options: Readonly<Record<string, unknown>>) => Transport;

/** The group whose queue keeps a dead-letter topic's messages (redrive reads with it). */
export const DEAD_LETTER_GROUP = 'ferry-dead-letters';
