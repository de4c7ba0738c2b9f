import { redactWhenShown, stderrLogger, type Capabilities, type DeliverySink, type Logger, type LoggerAware, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import { encode, type WireFormat } from './codec.ts';
import { connectWithin } from './connect.ts';
import { createDriver, type Driver, type DriverAdmin, type ProducerRecord } from './driver.ts';
import { delayTopic, retryTopic } from './names.ts';
import { resolveConfig, type ResolvedConfig } from './options.ts';
import { BatchingProducer, publishError } from './producer.ts';
import { groupIsIdle, replayPositions } from './replay.ts';
import { KafkaSubscription } from './subscription.ts';
import { Topics } from './topics.ts';
import { TransactionalProducers } from './transactions.ts';

/**
 * Ferry's Kafka transport on kafkajs: topics are Kafka topics (created on first use), Ferry groups
 * are consumer groups, the ordering key is the record key (so the partition), nack(delay) goes
 * through a per-group retry topic, delayed publishes through a per-topic delay topic, and
 * `transact` is a Kafka transaction with the consumed offset in it. Delivery semantics stay in core.
 */
export class KafkaTransport implements Transport, LoggerAware {
  readonly name = 'kafka';
  readonly capabilities: Capabilities;
  private readonly config: ResolvedConfig;
  private readonly driver: Driver;
  private readonly topics: Topics;
  private readonly producer: BatchingProducer;
  /** How this transport writes envelopes (the `envelope` option). */
  private readonly format: WireFormat;
  /** The adapter's own lines: stderr until createClient hands over the application's logger. */
  private logger: Logger = stderrLogger('warn', { transport: 'kafka' });
  private adminClient: Promise<DriverAdmin> | undefined;
  private connecting: Promise<void> | undefined;

  constructor(url: URL, options: Readonly<Record<string, unknown>> = {}) {
    this.config = redactWhenShown(resolveConfig(url, options));
    redactWhenShown(this, () => ({ name: this.name, config: this.config }));
    this.capabilities = {
      orderingByKey: true,
      fanOut: true,
      replay: ['earliest', 'offset', 'timestamp'],
      delay: { maxMs: this.config.maxDelayMs },
      priority: false,
      nativeDeadLetter: false,
      transactions: true,
      maxMessageBytes: this.config.maxMessageBytes,
    };
    this.format = { form: this.config.envelope, cloudEventsSource: this.config.cloudEventsSource };
    this.driver = createDriver(this.config);
    this.topics = new Topics(() => this.admin(), this.config);
    this.producer = new BatchingProducer(() => this.driver.producer({ idempotent: this.config.producer.idempotent }), this.config);
  }

  /** The adapter's lines and kafkajs's (redacted, at the `logLevel` threshold) go to the application's logger. */
  setLogger(logger: Logger): void {
    this.logger = logger;
    this.driver.setLogger(logger);
  }

  /** Connects once, within connectTimeoutMs; a failure is a ConnectionError, and the next call tries again. */
  connect(): Promise<void> {
    this.connecting ??= connectWithin(
      this.config,
      () => Promise.all([this.openAdmin(), this.producer.connect()]).then(() => undefined),
      () => void this.adminClient?.then((a) => a.disconnect()).catch(() => undefined),
    ).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    // Not async: once its topics exist, a publish goes straight to the batcher (this runs per message).
    const pending = this.topics.ensureFast(recordTopics(messages));
    if (pending) return pending.then(() => this.sendRecords(messages));
    return this.sendRecords(messages);
  }

  private sendRecords(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.producer.send(this.encodeAll(messages), messages).catch((error: unknown) => {
      throw publishError(error, this.config.maxMessageBytes, this.config.sasl?.password);
    });
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    // The dead-letter topic too, so dead letters never wait for a topic to be created.
    const topics = [spec.topic, retryTopic(spec.topic, spec.group), delayTopic(spec.topic)];
    if (spec.deadLetterTopic) topics.push(spec.deadLetterTopic); // none when reading a dead-letter topic
    await this.topics.ensure(topics);
    const started = new KafkaSubscription(spec, sink, {
      driver: this.driver,
      config: this.config,
      producer: this.producer,
      transactions: new TransactionalProducers(this.driver, spec.group, this.config.transactionTimeoutMs),
      prepare: (messages) => this.prepare(messages),
      seekTo: await this.replayTargets(spec),
      admin: () => this.admin(),
      logger: () => this.logger,
    });
    await started.start();
    return started;
  }

  /** A log: any group of an existing topic can read it from the earliest offset. listTopics creates nothing. */
  async hasGroup(topic: string): Promise<boolean> {
    const admin = await this.admin();
    return (await admin.listTopics()).includes(topic);
  }

  /** Core closed the subscriptions first. */
  async close(): Promise<void> {
    await this.producer.disconnect();
    const admin = this.adminClient;
    this.adminClient = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  /** Encodes messages a transaction sends, creating their topics on first use (core checked them). */
  private async prepare(messages: readonly OutgoingMessage[]): Promise<ProducerRecord[]> {
    await this.topics.ensure(recordTopics(messages));
    return this.encodeAll(messages);
  }

  /**
   * Where a replay starts: the topic, and its delay topic (publishes with delayMs wait there) from
   * the same earliest offset or timestamp (records keep their publish time). An offset names a
   * position in the topic only, so the delay topic keeps the group's position then. Nothing when
   * no start position is asked, or when the group runs already (see groupIsIdle).
   */
  private async replayTargets(spec: SubscriptionSpec): Promise<Map<string, Map<number, number>>> {
    if (spec.start.from === 'stored') return new Map();
    const admin = await this.admin();
    if (!(await groupIsIdle(admin, spec.group))) return new Map();
    const targets = new Map([[spec.topic, await replayPositions(admin, spec.topic, spec.start)]]);
    if (spec.start.from !== 'offset') targets.set(delayTopic(spec.topic), await replayPositions(admin, delayTopic(spec.topic), spec.start));
    return targets;
  }

  private encodeAll(messages: readonly OutgoingMessage[]): ProducerRecord[] {
    const now = Date.now();
    const format = this.format;
    return messages.map((m) => (m.delayMs !== undefined && m.delayMs > 0 ? encode(m, { recordTopic: delayTopic(m.topic), dueAt: now + m.delayMs }, format) : encode(m, undefined, format)));
  }


  /** The admin client, after the first connect (which says clearly why it failed, if it does). */
  private admin(): Promise<DriverAdmin> {
    return this.connect().then(() => this.openAdmin());
  }

  private openAdmin(): Promise<DriverAdmin> {
    this.adminClient ??= (async () => {
      const admin = this.driver.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.adminClient = undefined;
      throw error;
    });
    return this.adminClient;
  }
}

/** The topics the messages' records go to: the topic, or its delay topic for a delayed publish. */
function recordTopics(messages: readonly OutgoingMessage[]): string[] {
  if (messages.length === 1) {
    const m = messages[0]!;
    return [m.delayMs !== undefined && m.delayMs > 0 ? delayTopic(m.topic) : m.topic];
  }
  return [...new Set(messages.map((m) => (m.delayMs !== undefined && m.delayMs > 0 ? delayTopic(m.topic) : m.topic)))];
}
