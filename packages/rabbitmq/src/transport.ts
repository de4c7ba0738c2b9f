import { CapabilityError, DEAD_LETTER_GROUP, HEADERS, PublishError, redactWhenShown, type Capabilities, type DeliverySink, type GroupDeclaration, type Logger, type LoggerAware, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import type { Options } from 'amqplib';
import { encode, fitsShortString, H } from './codec.ts';
import { ConnectionManager } from './connection-manager.ts';
import { names, tierFor } from './names.ts';
import { resolveConfig, type ResolvedConfig } from './options.ts';
import { Publisher } from './publisher.ts';
import { AmqpSubscription, type Source } from './subscription.ts';
import { Topology } from './topology.ts';

const NAME = 'rabbitmq';

/**
 * Ferry's RabbitMQ transport on amqplib. It maps topics to topic exchanges and groups to durable
 * queues, publishes with confirms, consumes with manual acks, and turns nack(delay) into delay
 * queues with dead-letter exchanges. Delivery semantics (retry policy, dead-lettering, ack timing,
 * idempotency) stay in core.
 */
export class RabbitMqTransport implements Transport, LoggerAware {
  readonly name = NAME;
  readonly capabilities: Capabilities;
  private readonly config: ResolvedConfig;
  /** Publishes (and the declarations they need) on one connection, consumers and their acks on another. */
  private readonly publishing: ConnectionManager;
  private readonly consuming: ConnectionManager;
  /** The declarations of each connection (both caches may hold a name: declaring twice is harmless). */
  private readonly publishTopology: Topology;
  private readonly consumeTopology: Topology;
  private readonly publisher: Publisher;

  constructor(url: URL, options: Readonly<Record<string, unknown>> = {}) {
    // The config holds the URL (password) and TLS keys: printed, they show masked.
    this.config = redactWhenShown(resolveConfig(url, options));
    redactWhenShown(this, () => ({ name: this.name, config: this.config }));
    const c = this.config;
    this.capabilities = {
      orderingByKey: c.singleActiveConsumer !== 'never',
      fanOut: true,
      // Offsets exist in the stream only: a group queue's deliveries carry none to replay from,
      // so 'offset' is not declared (the transport still accepts it, with offsets of replays).
      replay: c.streamTopics.length > 0 ? ['earliest', 'timestamp'] : [],
      delay: { maxMs: c.delayTiersMs[c.delayTiersMs.length - 1]! },
      priority: c.priorityTopics.length > 0 ? { max: c.maxPriority } : false,
      nativeDeadLetter: c.deliveryLimit !== undefined && c.queueType === 'quorum',
      transactions: false,
      maxMessageBytes: c.maxMessageBytes,
    };
    // Each connection opens on its first use: a transport that only publishes never opens the
    // consume connection, and one that only consumes opens the publish one at its first retry copy
    // or dead letter (both are publishes).
    this.publishing = new ConnectionManager(c, 'publish');
    this.consuming = new ConnectionManager(c, 'consume');
    this.publishTopology = new Topology(this.publishing, c);
    this.consumeTopology = new Topology(this.consuming, c);
    this.publisher = new Publisher(this.publishing, c);
  }

  /** How many times a connection was re-established after a loss, both connections together (for logs and tests). */
  get reconnects(): number {
    return this.publishing.reconnects + this.consuming.reconnects;
  }

  /** Connection losses (warn), reconnects (info) and failed attempts (debug) go to the application's logger. */
  setLogger(logger: Logger): void {
    this.publishing.logger = logger;
    this.consuming.logger = logger;
  }

  /** Opens both connections (a startup check covers both); publishing and subscribing open theirs on their own. */
  async connect(): Promise<void> {
    await Promise.all([this.publishing.connect(), this.consuming.connect()]);
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    try {
      for (const m of messages) this.check(m);
    } catch (error) {
      return Promise.reject(error);
    }
    // The common case, one message to a topic already declared, takes no extra promise hops.
    if (messages.length === 1 && this.publishTopology.isTopicReady(messages[0]!.topic)) return this.publishOne(messages[0]!);
    return this.sendMany(messages);
  }

  private async sendMany(messages: readonly OutgoingMessage[]): Promise<void> {
    const topics = new Set(messages.map((m) => m.topic));
    await Promise.all([...topics].map((t) => this.publishTopology.ensureTopic(t)));
    await Promise.all(messages.map((m) => this.publishOne(m)));
  }

  private publishOne(message: OutgoingMessage): Promise<void> {
    const routingKey = this.routingKeyOf(message);
    if (!fitsShortString(routingKey)) {
      return Promise.reject(
        new PublishError(`The routing key of message ${message.id} (its ${this.config.routingKey}) is longer than AMQP's 255 bytes. Use a shorter ${this.config.routingKey}, or another rabbitmq option \`routingKey\`.`),
      );
    }
    const { content, options } = encode(message, { form: this.config.envelope, cloudEventsSource: this.config.cloudEventsSource });
    if (message.delayMs !== undefined && message.delayMs > 0) return this.publishDelayed(message, routingKey, content, options);
    return this.publisher.publish(names.exchange(message.topic), routingKey, content, options, message);
  }

  /** Through the topic's delay exchange: the tier's queue holds it, then dead-letters it to the topic. */
  private async publishDelayed(message: OutgoingMessage, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const delayMs = message.delayMs!;
    const tier = tierFor(this.config.delayTiersMs, delayMs)!;
    const exchange = await this.publishTopology.ensureDelayTier(message.topic, tier);
    options.headers![H.delayTier] = String(tier);
    if (delayMs < tier) options.expiration = String(Math.ceil(delayMs));
    await this.publisher.publish(exchange, routingKey, content, options, message);
  }

  private routingKeyOf(message: OutgoingMessage): string {
    switch (this.config.routingKey) {
      case 'key':
        return message.key ?? message.type;
      case 'topic':
        return message.topic;
      default:
        return message.type;
    }
  }

  /** Refuses, before anything is sent, what AMQP or this topology cannot carry (core checked the capabilities). */
  private check(m: OutgoingMessage): void {
    if (m.priority !== undefined) {
      if (!this.publishTopology.isPriorityTopic(m.topic)) {
        throw new CapabilityError(NAME, 'priority', `topic \`${m.topic}\` has no priority queues`, 'Add the topic to the rabbitmq option `priorityTopics` (its group queues become classic queues with x-max-priority).');
      }
    }
    // AMQP short strings (header names, content-type) hold 255 bytes.
    for (const name in m.headers) {
      if (!fitsShortString(name) || (name === HEADERS.contentType && !fitsShortString(m.headers[name]!))) {
        throw new PublishError(`Message ${m.id} has a header name (or content type) longer than AMQP's 255 bytes: \`${name.slice(0, 40)}...\`. Shorten it.`);
      }
    }
  }

  /**
   * The groups' queues, bound as their subscriptions bind them: RabbitMQ keeps a message only for
   * the queues that exist when it is published. Core calls this before a send: it runs on the
   * publish connection.
   */
  async declareGroups(declaration: GroupDeclaration): Promise<void> {
    const { topic, groups, deadLetterTopic, orderedByKey } = declaration;
    await this.publishTopology.ensureGroupQueue(deadLetterTopic, DEAD_LETTER_GROUP, false);
    for (const group of groups) await this.publishTopology.ensureGroupQueue(topic, group, orderedByKey, deadLetterTopic);
  }

  /** The group's queue keeps the topic's messages for it: the topic exchange alone keeps nothing. Core asks before publishing (redrive). */
  hasGroup(topic: string, group: string): Promise<boolean> {
    return this.publishTopology.queueExists(names.groupQueue(topic, group));
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    // The dead-letter topic first: a group queue with a delivery limit dead-letters into it.
    if (spec.deadLetterTopic) await this.consumeTopology.ensureGroupQueue(spec.deadLetterTopic, DEAD_LETTER_GROUP, false);
    const sources = await this.sourcesFor(spec);
    // Deliveries and acks on the consume connection; retry copies go out through the publisher.
    const subscription = new AmqpSubscription(
      { manager: this.consuming, topology: this.consumeTopology, publisher: this.publisher, config: this.config },
      spec,
      sink,
      sources,
    );
    try {
      await subscription.start();
    } catch (error) {
      await subscription.close();
      throw error;
    }
    return subscription;
  }

  /** The queue(s) a subscription reads: the group queue, or for replay the stream plus redeliveries. */
  private async sourcesFor(spec: SubscriptionSpec): Promise<Source[]> {
    const start = spec.start;
    if (start.from === 'stored') {
      const queue = await this.consumeTopology.ensureGroupQueue(spec.topic, spec.group, spec.orderedByKey, spec.deadLetterTopic);
      return [{ queue, retryTarget: queue }];
    }
    if (!this.consumeTopology.keepsStream(spec.topic)) {
      throw new CapabilityError(NAME, 'replay', `topic \`${spec.topic}\` keeps no stream to replay from`, 'Add the topic to the rabbitmq option `streamTopics` (messages are kept from the stream\'s declaration on), or start from `stored`.');
    }
    await this.consumeTopology.ensureTopic(spec.topic);
    const replay = await this.consumeTopology.ensureReplayQueue(spec.topic, spec.group);
    const stream: NonNullable<Source['stream']> =
      start.from === 'earliest'
        ? { offset: 'first' }
        : start.from === 'offset'
          ? { offset: start.offset, minOffset: start.offset }
          : { offset: { '!': 'timestamp', value: Math.floor(start.timestamp / 1000) }, minTimestamp: start.timestamp };
    return [
      { queue: names.streamQueue(spec.topic), retryTarget: replay, stream },
      { queue: replay, retryTarget: replay },
    ];
  }

  /** Core closed the subscriptions first. */
  async close(): Promise<void> {
    await this.publisher.close(Math.min(this.config.publishTimeoutMs, 10_000));
    await Promise.all([this.publishing.close(), this.consuming.close()]);
  }
}
