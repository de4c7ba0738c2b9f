import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { FerryError, redactText, type Coordinates, type Delivery, type DeliverySink, type Envelope, type Subscription, type SubscriptionSpec } from '@ferry/core/spi';
import { AckBatcher } from './ack-batcher.ts';
import { attemptOf, decode, retryHeaders } from './codec.ts';
import { isConnectionLoss, type ConnectionManager } from './connection-manager.ts';
import { tierFor } from './names.ts';
import type { ResolvedConfig } from './options.ts';
import type { Publisher } from './publisher.ts';
import type { Topology } from './topology.ts';

/** One queue a subscription consumes, and where its nack()ed deliveries go back to. */
export interface Source {
  readonly queue: string;
  /** The group's own queue that retry copies are dead-lettered back into. */
  readonly retryTarget: string;
  /** Stream consumers: the start (`x-stream-offset`) and what to skip before it. */
  readonly stream?: {
    readonly offset: string | number | { '!': 'timestamp'; value: number };
    readonly minOffset?: number;
    readonly minTimestamp?: number;
  };
}

interface SourceState {
  readonly source: Source;
  channel: Channel | undefined;
  consumerTag: string | undefined;
  /** A channel is being opened for this source (one at a time: a reconnect and a channel error may race). */
  attaching: boolean;
  /** Acks of the current channel. */
  acks: AckBatcher | undefined;
}

export interface SubscriptionDeps {
  readonly manager: ConnectionManager;
  readonly topology: Topology;
  readonly publisher: Publisher;
  readonly config: ResolvedConfig;
}

/**
 * Consumes the group's queue(s) with manual acks. Prefetch is spec.maxInFlight per channel; what
 * the broker pushes beyond core's room (two sources, stream + redeliveries, or a reconnect while
 * core still holds deliveries of the old channel) waits here until core has room, and is dropped
 * if its channel closes meanwhile (the broker has requeued it). After a reconnect the consumers
 * resume on the new connection; deliveries of the old one were released by the broker, so acking
 * them is a no-op.
 */
export class AmqpSubscription implements Subscription {
  private readonly states: SourceState[];
  private readonly waiting: AmqpDelivery[] = [];
  private waitingForRoom = false;
  private stopped = false;
  private closed = false;
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly deps: SubscriptionDeps,
    readonly spec: SubscriptionSpec,
    private readonly sink: DeliverySink,
    sources: readonly Source[],
  ) {
    this.states = sources.map((source) => ({ source, channel: undefined, consumerTag: undefined, attaching: false, acks: undefined }));
  }

  async start(): Promise<void> {
    for (const state of this.states) await this.attach(state);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.waiting.length = 0; // held, unacked: released when the channel closes
    for (const state of this.states) {
      const { channel, consumerTag } = state;
      state.consumerTag = undefined;
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    }
  }

  /** Messages ready in the group's queue (a replay's stream has no such count: left out). */
  async lag(): Promise<{ messages: number }> {
    let messages = 0;
    for (const { source } of this.states) if (!source.stream) messages += await this.deps.topology.messageCount(source.queue);
    return { messages };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    // A nack in progress republishes its copy before acking the original: let it finish.
    await withTimeout(Promise.allSettled([...this.settling]), this.deps.config.publishTimeoutMs);
    for (const state of this.states) {
      const channel = state.channel;
      state.channel = undefined;
      state.acks?.flush();
      // Closing the channel hands every unacked message back to the queue.
      await channel?.close().catch(() => undefined);
    }
  }

  /**
   * Opens the source's channel and consumer on whatever connection is up, trying again while the
   * connection drops under it (RabbitMQ 3.10 can even close the connection when a consume reaches
   * a quorum queue whose replica is still starting), up to connectTimeoutMs.
   */
  private async attach(state: SourceState): Promise<void> {
    if (state.attaching) return;
    state.attaching = true;
    try {
      const deadline = Date.now() + this.deps.config.connectTimeoutMs;
      for (;;) {
        if (this.stopped) return;
        const current = await this.deps.manager.ready(Math.max(1, deadline - Date.now()));
        try {
          await this.open(state, current);
          return;
        } catch (error) {
          if (!isConnectionLoss(error) || Date.now() >= deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      state.attaching = false;
    }
  }

  private async open(state: SourceState, connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    let closeReason: unknown;
    channel.on('error', (error: unknown) => void (closeReason = error)); // 'close' follows
    channel.on('close', () => this.channelClosed(state, channel, closeReason));
    await channel.prefetch(this.spec.maxInFlight);
    state.channel = channel;
    const acks = new AckBatcher(channel);
    state.acks = acks;
    const options: Options.Consume = { noAck: false };
    const stream = state.source.stream;
    if (stream) {
      options.arguments = { 'x-stream-offset': stream.offset };
    }
    const ok = await channel.consume(state.source.queue, (msg) => this.received(state, channel, acks, msg), options);
    state.consumerTag = ok.consumerTag;
    if (this.stopped) await channel.cancel(ok.consumerTag).catch(() => undefined);
  }

  /**
   * A consuming channel closed under us (a channel error, the connection lost or closed by the
   * broker): what it held went back to the queue. The subscription is dead: core closes it and
   * subscribes again once the connection is back (a replay's stream starts again from its start).
   */
  private channelClosed(state: SourceState, channel: Channel, reason: unknown): void {
    if (state.channel !== channel) return;
    state.channel = undefined;
    state.consumerTag = undefined;
    if (this.stopped) return;
    const why = reason instanceof Error ? reason.message : 'the channel or its connection was closed';
    this.died(`its channel on queue ${state.source.queue} closed: ${redactText(why)}`, reason);
  }

  /** Nothing more arrives here: stop handing over, and let core restart the subscription. */
  private died(what: string, cause?: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.waiting.length = 0;
    this.sink.fail(new FerryError('FERRY_RABBITMQ_CONSUMER', `RabbitMQ consumer of group ${this.spec.group} on ${this.spec.topic} stopped: ${what}.`, cause === undefined ? undefined : { cause }));
  }

  private received(state: SourceState, channel: Channel, acks: AckBatcher, msg: ConsumeMessage | null): void {
    if (this.stopped) return; // held until close
    // Cancelled by the broker (its queue was deleted, a node of a quorum queue went away).
    if (!msg) return this.died(`the broker cancelled the consumer of queue ${state.source.queue}`);
    const envelope = decode(msg, this.spec.topic);
    const coordinates: Record<string, string | number> = {
      queue: state.source.queue,
      exchange: msg.fields.exchange,
      routingKey: msg.fields.routingKey,
    };
    const stream = state.source.stream;
    if (stream) {
      const offset = Number((msg.properties.headers ?? {})['x-stream-offset']);
      coordinates.offset = offset;
      // Streams start at a chunk boundary: skip what lies before the asked position.
      if ((stream.minOffset !== undefined && offset < stream.minOffset) || (stream.minTimestamp !== undefined && envelope.timestamp < stream.minTimestamp)) {
        acks.ack(msg.fields.deliveryTag);
        return;
      }
    }
    const delivery = new AmqpDelivery(this, state, channel, acks, msg, envelope, attemptOf(msg), coordinates);
    if (this.waiting.length === 0 && this.sink.room > 0) this.sink.deliver(delivery);
    else {
      this.waiting.push(delivery);
      this.handWaiting();
    }
  }

  /** Hands what waits while core has room; waits for room otherwise. */
  private handWaiting(): void {
    while (!this.stopped && this.waiting.length > 0 && this.sink.room > 0) {
      const next = this.waiting.shift()!;
      if (isOpen(next.channel)) this.sink.deliver(next);
    }
    if (this.waiting.length > 0 && !this.waitingForRoom && !this.stopped && !this.sink.stopped) {
      this.waitingForRoom = true;
      void this.sink.whenRoom().then(() => {
        this.waitingForRoom = false;
        this.handWaiting();
      });
    }
  }

  /** nack(delayMs): a copy with attempt+1 into the delay tier (or straight back), then ack. */
  retry(delivery: AmqpDelivery, delayMs: number): Promise<void> {
    const work = this.republish(delivery, delayMs);
    this.settling.add(work);
    // Not finally(): its promise would reject unhandled when the copy fails (core gets `work`).
    const forget = () => void this.settling.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * The copy first, then the ack of the original. When the copy is not confirmed this rejects and
   * changes nothing (the original stays unacked, held by core), and core calls nack again.
   */
  private async republish(delivery: AmqpDelivery, delayMs: number): Promise<void> {
    const { msg, acks } = delivery;
    const { topology, publisher, config } = this.deps;
    const target = delivery.state.source.retryTarget;
    let routingKey = target;
    let expiration: string | undefined;
    if (delayMs > 0) {
      const tiers = config.delayTiersMs;
      const tier = tierFor(tiers, delayMs) ?? tiers[tiers.length - 1]!;
      routingKey = await topology.ensureRetryQueue(target, tier);
      if (delayMs < tier) expiration = String(Math.ceil(delayMs));
    }
    const p = msg.properties;
    const options: Options.Publish = {
      persistent: true,
      mandatory: true,
      headers: retryHeaders(msg, delivery.attempt + 1, delivery.envelope.topic),
      messageId: p.messageId,
      type: p.type,
      timestamp: p.timestamp,
      contentType: p.contentType,
      contentEncoding: p.contentEncoding,
      correlationId: p.correlationId,
      replyTo: p.replyTo,
      appId: p.appId,
    };
    if (p.priority !== undefined) options.priority = p.priority;
    if (expiration !== undefined) options.expiration = expiration;
    await publisher.publish('', routingKey, msg.content, options, `the retry of message ${delivery.envelope.id}`);
    acks.ack(msg.fields.deliveryTag);
  }
}

export class AmqpDelivery implements Delivery {
  constructor(
    private readonly subscription: AmqpSubscription,
    readonly state: SourceState,
    readonly channel: Channel,
    readonly acks: AckBatcher,
    readonly msg: ConsumeMessage,
    readonly envelope: Envelope,
    readonly attempt: number,
    readonly coordinates: Coordinates,
  ) {}

  ack(): Promise<void> {
    // On a channel that has closed since, the broker already released the message: nothing to do.
    this.acks.ack(this.msg.fields.deliveryTag);
    return Promise.resolve();
  }

  /** Rejects, changing nothing, when the retry copy is not confirmed (see republish). */
  async nack(delayMs: number): Promise<void> {
    // On a closed channel the broker released it already and delivers it again.
    if (isOpen(this.channel)) await this.subscription.retry(this, delayMs);
  }

}

function isOpen(channel: Channel): boolean {
  // amqplib marks a closed channel by dropping its pending-RPC queue; no public flag exists.
  return (channel as unknown as { pending: unknown }).pending !== null;
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
