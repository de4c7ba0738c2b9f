import type { Channel, ChannelModel } from 'amqplib';
import { FerryError } from '@ferry/core/spi';
import { isConnectionLoss, type ConnectionManager } from './connection-manager.ts';
import { names } from './names.ts';
import { matchesTopic } from '@ferry/core/spi';
import type { ResolvedConfig } from './options.ts';

export class TopologyError extends FerryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FERRY_TOPOLOGY', message, options);
  }
}

type Step = (channel: Channel) => Promise<void>;

/**
 * Declares exchanges and queues on first use, once per name (cached), and again after every
 * reconnect (the broker may have restarted without them). Declarations run one at a time on a
 * channel of their own: a failed declaration (406 different arguments, 404 missing in `existing`
 * mode) closes that channel only, and the error names the object and the fix.
 */
export class Topology {
  private readonly declared = new Map<string, Promise<void>>();
  /** Topics whose exchange (and stream) are declared: sends to them skip the await. */
  private readonly readyTopics = new Set<string>();
  private readonly replay: Step[] = [];
  private channel: Channel | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly manager: ConnectionManager,
    private readonly config: ResolvedConfig,
  ) {
    manager.onReopen(async (connection) => {
      this.channel = undefined;
      for (const step of this.replay) {
        // A step that fails now (someone deleted or changed an object) must not stop the rest.
        // If the connection itself is gone, the manager notices and starts over.
        await this.onChannel(connection, step).catch(() => {
          this.channel = undefined;
        });
      }
    });
  }

  /** The topic exchange, plus its stream when the topic keeps one for replay. */
  ensureTopic(topic: string): Promise<void> {
    const exchange = names.exchange(topic);
    const done = this.ensure(`exchange:${exchange}`, async (ch) => {
      if (this.existing) await check(ch.checkExchange(exchange), `exchange \`${exchange}\``);
      else await declare(ch.assertExchange(exchange, 'topic', { durable: true }), `exchange \`${exchange}\``);
    });
    const all = this.keepsStream(topic) ? done.then(() => this.ensureStream(topic)) : done;
    return all.then(() => {
      this.readyTopics.add(topic);
    });
  }

  isTopicReady(topic: string): boolean {
    return this.readyTopics.has(topic);
  }

  keepsStream(topic: string): boolean {
    return matchesTopic(this.config.streamTopics, topic);
  }

  isPriorityTopic(topic: string): boolean {
    return matchesTopic(this.config.priorityTopics, topic);
  }

  /** The group's durable queue bound to the topic exchange. Returns its name. */
  async ensureGroupQueue(topic: string, group: string, orderedByKey: boolean, deadLetterTopic?: string): Promise<string> {
    await this.ensureTopic(topic);
    const queue = names.groupQueue(topic, group);
    const args: Record<string, unknown> = {};
    if (this.isPriorityTopic(topic)) {
      args['x-queue-type'] = 'classic';
      args['x-max-priority'] = this.config.maxPriority;
    } else {
      args['x-queue-type'] = this.config.queueType;
      // The delivery limit exists on quorum queues only.
      if (this.config.deliveryLimit !== undefined && this.config.queueType === 'quorum' && deadLetterTopic) {
        args['x-delivery-limit'] = this.config.deliveryLimit;
        args['x-dead-letter-exchange'] = names.exchange(deadLetterTopic);
      }
    }
    const sac = this.config.singleActiveConsumer;
    if (sac === 'always' || (sac === 'ordered' && orderedByKey)) args['x-single-active-consumer'] = true;
    const patterns = this.patternsFor(topic, group);
    await this.ensure(`queue:${queue}`, async (ch) => {
      if (this.existing) {
        await check(ch.checkQueue(queue), `queue \`${queue}\``);
        return;
      }
      await declare(ch.assertQueue(queue, { durable: true, arguments: args }), `queue \`${queue}\``, args);
      for (const pattern of patterns) await ch.bindQueue(queue, names.exchange(topic), pattern);
    });
    return queue;
  }

  /** A delay tier in front of `target`: copies wait `tierMs` at most, then go to `target` only. */
  async ensureRetryQueue(target: string, tierMs: number): Promise<string> {
    const queue = names.retryQueue(target, tierMs);
    const args = {
      ...this.deadLetterArgs(),
      'x-message-ttl': tierMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': target,
    };
    await this.ensure(`queue:${queue}`, (ch) => declare(ch.assertQueue(queue, { durable: true, arguments: args }), `queue \`${queue}\``, args));
    return queue;
  }

  /** Publish-time delay: a headers exchange choosing the tier queue, which dead-letters to the topic. */
  async ensureDelayTier(topic: string, tierMs: number): Promise<string> {
    await this.ensureTopic(topic);
    const exchange = names.delayExchange(topic);
    const queue = names.delayQueue(topic, tierMs);
    await this.ensure(`exchange:${exchange}`, (ch) =>
      declare(ch.assertExchange(exchange, 'headers', { durable: true }), `exchange \`${exchange}\``),
    );
    const args = { ...this.deadLetterArgs(), 'x-message-ttl': tierMs, 'x-dead-letter-exchange': names.exchange(topic) };
    await this.ensure(`queue:${queue}`, async (ch) => {
      await declare(ch.assertQueue(queue, { durable: true, arguments: args }), `queue \`${queue}\``, args);
      await ch.bindQueue(queue, exchange, '', { 'x-match': 'all', 'x-ferry-delay-tier': String(tierMs) });
    });
    return exchange;
  }

  /** Where nack()ed deliveries of a replaying (stream) subscription come back to. */
  async ensureReplayQueue(topic: string, group: string): Promise<string> {
    const queue = names.replayQueue(topic, group);
    const args = { 'x-queue-type': this.config.queueType };
    await this.ensure(`queue:${queue}`, (ch) => declare(ch.assertQueue(queue, { durable: true, arguments: args }), `queue \`${queue}\``, args));
    return queue;
  }

  /** Messages ready in a queue (a passive check on the declaration channel). */
  async messageCount(queue: string): Promise<number> {
    let count = 0;
    await this.run(async (ch) => {
      count = (await ch.checkQueue(queue)).messageCount;
    });
    return count;
  }

  /** Whether a queue exists (a passive check: a 404 closes that channel only, and creates nothing). */
  async queueExists(queue: string): Promise<boolean> {
    try {
      await this.run(async (ch) => void (await ch.checkQueue(queue)));
      return true;
    } catch (error) {
      if (codeOf(error) === 404) return false;
      throw error;
    }
  }

  private ensureStream(topic: string): Promise<void> {
    const queue = names.streamQueue(topic);
    const args: Record<string, unknown> = { 'x-queue-type': 'stream', 'x-max-age': this.config.streamMaxAge };
    if (this.config.streamMaxBytes) args['x-max-length-bytes'] = this.config.streamMaxBytes;
    return this.ensure(`queue:${queue}`, async (ch) => {
      if (this.existing) {
        await check(ch.checkQueue(queue), `stream \`${queue}\``);
        return;
      }
      await declare(ch.assertQueue(queue, { durable: true, arguments: args }), `stream \`${queue}\``, args);
      await ch.bindQueue(queue, names.exchange(topic), '#');
    });
  }

  private get existing(): boolean {
    return this.config.topology === 'existing';
  }

  private deadLetterArgs(): Record<string, unknown> {
    // Quorum queues can dead-letter at-least-once (3.10+), which needs reject-publish overflow.
    return this.config.queueType === 'quorum'
      ? { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
      : { 'x-queue-type': 'classic' };
  }

  private patternsFor(topic: string, group: string): string[] {
    const matching = this.config.bindings.filter((b) => b.topic === topic && (b.group === undefined || b.group === group));
    const specific = matching.filter((b) => b.group === group);
    const chosen = specific.length > 0 ? specific : matching;
    return chosen.length > 0 ? [...new Set(chosen.flatMap((b) => b.patterns))] : ['#'];
  }

  private ensure(key: string, step: Step): Promise<void> {
    let done = this.declared.get(key);
    if (!done) {
      done = this.run(step).then(() => {
        this.replay.push(step);
      });
      done.catch(() => this.declared.delete(key));
      this.declared.set(key, done);
    }
    return done;
  }

  private run(step: Step): Promise<void> {
    const next = this.chain.then(async () => {
      const deadline = Date.now() + this.config.publishTimeoutMs;
      for (;;) {
        const connection = await this.manager.ready(Math.max(1, deadline - Date.now()));
        try {
          await this.onChannel(connection, step);
          return;
        } catch (error) {
          // The failed RPC closed the channel (or will): start the next declaration on a fresh one.
          const channel = this.channel;
          this.channel = undefined;
          channel?.close().catch(() => undefined);
          // The connection dropped under us: declare again once it is back (bounded).
          if (!isConnectionLoss(error) || Date.now() >= deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async onChannel(connection: ChannelModel, step: Step): Promise<void> {
    if (!this.channel) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined); // the failing RPC rejects with the reason
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
    }
    await step(this.channel);
  }
}

async function declare<T>(p: Promise<T>, what: string, args?: Record<string, unknown>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (codeOf(error) === 406) {
      throw new TopologyError(
        `RabbitMQ refused to declare ${what}: it exists with different arguments` +
          (args ? ` (wanted ${JSON.stringify(args)})` : '') +
          '. Delete it, or declare it the way the adapter options say (queueType, priorityTopics, singleActiveConsumer).',
        { cause: error },
      );
    }
    throw error;
  }
}

async function check<T>(p: Promise<T>, what: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (codeOf(error) === 404) {
      throw new TopologyError(
        `${what} does not exist and the rabbitmq option \`topology\` is \`existing\`. ` +
          'Create it first (see docs/adapters/rabbitmq.md for the names), or use topology: "declare".',
        { cause: error },
      );
    }
    throw error;
  }
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
