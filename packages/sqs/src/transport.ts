import type { SQSClient } from '@aws-sdk/client-sqs';
import { CapabilityError, DEAD_LETTER_GROUP, MessageTooLargeError, PublishError, redactWhenShown, stderrLogger, type Capabilities, type DeliverySink, type GroupDeclaration, type Logger, type LoggerAware, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import { createSqsClient, type LogTarget } from './client.ts';
import { checkConnection } from './connect.ts';
import { encode } from './codec.ts';
import { resolveConfig, SQS_LIMITS, type ResolvedConfig } from './options.ts';
import { Publisher } from './publisher.ts';
import { Queues, type QueueInfo } from './queues.ts';
import { SqsSubscription } from './subscription.ts';
import { UndecodableMessages } from './undecodable.ts';

const NAME = 'sqs';

/**
 * Ferry's Amazon SQS transport on @aws-sdk/client-sqs v3. One queue per topic (standard, or FIFO
 * for the `fifoTopics`), owned by one consumer group; publishes are coalesced into
 * SendMessageBatch, receives are long polls, acks DeleteMessageBatch, retries visibility changes.
 * Delivery semantics (retry policy, dead-lettering, ack timing, idempotency) stay in core.
 */
export class SqsTransport implements Transport, LoggerAware {
  readonly name = NAME;
  readonly capabilities: Capabilities;
  readonly config: ResolvedConfig;
  private readonly sqs: SQSClient;
  private readonly queues: Queues;
  private readonly publisher: Publisher;
  /** Where the adapter's and the SDK's lines go: stderr until createClient hands over the application's logger. */
  private readonly logs: LogTarget = { logger: stderrLogger('warn', { transport: NAME }) };
  private connecting: Promise<void> | undefined;
  /** The SDK's NodeVersionSupportWarning, kept for the application's logger (at info). */
  private nodeVersionNotice: string | undefined;
  private readonly undecodable = new UndecodableMessages((messages) => this.send(messages), () => this.logs.logger);

  constructor(url: URL, options: Readonly<Record<string, unknown>> = {}) {
    // The config holds the credentials (secret key, session token): printed, they show masked.
    this.config = redactWhenShown(resolveConfig(url, options));
    redactWhenShown(this, () => ({ name: this.name, config: this.config }));
    this.capabilities = {
      // FIFO queues keep per-key order across consumers (one message group per key in flight at a time).
      orderingByKey: this.config.fifoTopics.length > 0,
      fanOut: false,
      replay: [],
      delay: { maxMs: SQS_LIMITS.delaySeconds * 1000 },
      priority: false,
      nativeDeadLetter: true,
      transactions: false,
      maxMessageBytes: this.config.maxEnvelopeBytes,
    };
    this.sqs = createSqsClient(this.config, this.logs, (text) => (this.nodeVersionNotice = text));
    this.queues = new Queues(this.sqs, this.config);
    this.publisher = new Publisher(this.config, Publisher.sendingWith(this.sqs));
  }

  /** createClient hands over the application's logger (bound to `{ transport: 'sqs' }`): the adapter's lines and the SDK's warnings and errors go there. */
  setLogger(logger: Logger): void {
    this.logs.logger = logger;
    if (this.nodeVersionNotice) logger.info({}, `AWS SDK: ${this.nodeVersionNotice}`);
  }

  /** The queue name a topic maps to (FIFO names end in `.fifo`). */
  queueNameOf(topic: string): string {
    return this.queues.nameOf(topic);
  }

  /** The queue of a topic (created first with `topology: 'declare'`): its name, URL and kind. */
  queueOf(topic: string): Promise<QueueInfo> {
    return this.queues.get(topic);
  }

  /** Checks endpoint and credentials once (see checkConnection); a failure is a ConnectionError, and the next call checks again. */
  connect(): Promise<void> {
    this.connecting ??= checkConnection(this.sqs, this.config).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    const entries = [];
    try {
      for (const message of messages) entries.push({ message, encoded: this.check(message) });
    } catch (error) {
      return Promise.reject(error);
    }
    if (entries.length === 1) {
      const entry = entries[0]!;
      const queue = this.queues.known(entry.message.topic);
      if (queue) return this.publisher.publish(queue, entry).catch((error: unknown) => Promise.reject(publishError(error, entry.message.id)));
    }
    return this.sendAll(entries);
  }

  private async sendAll(entries: Array<{ message: OutgoingMessage; encoded: ReturnType<typeof encode> }>): Promise<void> {
    // The first publish (queues not yet known) checks the connection first, so that an unreachable endpoint says so.
    await this.connect();
    const results = await Promise.allSettled(
      entries.map(async (entry) => this.publisher.publish(await this.queues.get(entry.message.topic), entry)),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ id: entries[i]!.message.id, reason: r.reason as unknown }] : []));
    if (failed.length === 0) return;
    if (failed.length === 1 && entries.length === 1) throw publishError(failed[0]!.reason, failed[0]!.id);
    const reasons = failed.slice(0, 3).map((f) => `${f.id}: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
    throw new PublishError(`SQS did not accept ${failed.length} of ${entries.length} messages (${reasons.join('; ')}${failed.length > 3 ? '; ...' : ''}); the others were sent.`, { cause: failed[0]!.reason });
  }

  /** Refuses what SQS cannot carry beyond the capabilities core checked; returns the encoded message. */
  private check(m: OutgoingMessage): ReturnType<typeof encode> {
    if (m.delayMs !== undefined && m.delayMs > 0) {
      if (this.queues.isFifo(m.topic)) {
        throw new CapabilityError(NAME, 'per-message delay on FIFO queues', `topic \`${m.topic}\` is a FIFO queue and message ${m.id} asks for ${m.delayMs} ms`, 'Publish delayed messages to a standard-queue topic, or set a DelaySeconds on the FIFO queue itself.');
      }
    }
    const encoded = encode(m, this.config.envelope);
    // Headers are JSON-escaped on the wire: check what SQS will count, too.
    if (encoded.size > this.config.maxMessageBytes) throw new MessageTooLargeError(NAME, encoded.size, this.config.maxMessageBytes);
    return encoded;
  }

  /**
   * The topic's queue, owned by the group (a second group is refused, as at subscribe): SQS keeps
   * messages in the queue either way; this claims it up front, with its dead-letter queue.
   */
  async declareGroups(declaration: GroupDeclaration): Promise<void> {
    for (const group of declaration.groups) await this.ownQueue(declaration.topic, group, declaration.deadLetterTopic);
  }

  /** One queue per topic: it exists, or nothing keeps the topic's messages (a subscribe would create it). */
  hasGroup(topic: string): Promise<boolean> {
    return this.queues.exists(topic);
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    const queue = await this.ownQueue(spec.topic, spec.group, spec.deadLetterTopic);
    const subscription = new SqsSubscription(this.sqs, queue, spec, this.config, sink, this.undecodable, () => this.logs.logger);
    subscription.start();
    return subscription;
  }

  /** The topic's queue, claimed by `group`, with its dead-letter queue and redrive policy. */
  private async ownQueue(topic: string, group: string, deadLetterTopic: string): Promise<QueueInfo> {
    await this.connect();
    const queue = await this.queues.get(topic);
    await this.queues.claim(queue, group);
    if (group !== DEAD_LETTER_GROUP && deadLetterTopic) await this.declareDeadLetter(queue, deadLetterTopic);
    return queue;
  }

  /** The dead-letter topic's queue, kept for DEAD_LETTER_GROUP, and the redrive policy pointing at it. */
  private async declareDeadLetter(queue: QueueInfo, deadLetterTopic: string): Promise<void> {
    const deadLetter = await this.queues.get(deadLetterTopic);
    await this.queues.claim(deadLetter, DEAD_LETTER_GROUP);
    await this.queues.setRedrive(queue, deadLetter);
  }

  /** Core closed the subscriptions first. */
  async close(): Promise<void> {
    await this.publisher.drain();
    this.sqs.destroy();
  }
}

function publishError(error: unknown, id: string): PublishError {
  return PublishError.from(error, (reason) => `SQS did not accept message ${id}: ${reason}`);
}
