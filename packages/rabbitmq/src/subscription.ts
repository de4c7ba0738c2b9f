import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import type { Coordinates, Delivery, DeliverySink, Envelope, Subscription, SubscriptionSpec } from '@ferry/core/spi';
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
  /** Streams: resume point after a reconnect (nothing delivered and unsettled is skipped). */
  lastOffset: number | undefined;
  readonly unsettledOffsets: Set<number>;
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
  private readonly removeHook: () => void;

  constructor(
    private readonly deps: SubscriptionDeps,
    readonly spec: SubscriptionSpec,
    private readonly sink: DeliverySink,
    sources: readonly Source[],
  ) {
    this.states = sources.map((source) => ({ source, channel: undefined, consumerTag: undefined, lastOffset: undefined, unsettledOffsets: new Set(), attaching: false, acks: undefined }));
    this.removeHook = deps.manager.onReopen((connection) => this.resume(connection));
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
    this.removeHook();
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

  private async resume(connection: ChannelModel): Promise<void> {
    if (this.stopped) return;
    this.waiting.length = 0;
    for (const state of this.states) {
      if (state.channel && isOpen(state.channel)) continue;
      // A consumer that cannot resume must not stop the others (nor the reconnect).
      await this.attach(state, connection).catch(() => undefined);
    }
  }

  /**
   * Opens the source's channel and consumer. With a `connection` (a reopen hook: the manager is not
   * ready yet) one try; without, on whatever connection is up, trying again while the connection
   * drops under it (RabbitMQ 3.10 can even close the connection when a consume reaches a quorum
   * queue whose replica is still starting), up to connectTimeoutMs.
   */
  private async attach(state: SourceState, connection?: ChannelModel): Promise<void> {
    if (state.attaching) return;
    state.attaching = true;
    try {
      const deadline = Date.now() + this.deps.config.connectTimeoutMs;
      for (;;) {
        if (this.stopped) return;
        const current = connection ?? (await this.deps.manager.ready(Math.max(1, deadline - Date.now())));
        try {
          await this.open(state, current);
          return;
        } catch (error) {
          if (connection || !isConnectionLoss(error) || Date.now() >= deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      state.attaching = false;
    }
  }

  private async open(state: SourceState, connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // 'close' follows
    channel.on('close', () => this.channelClosed(state, channel));
    await channel.prefetch(this.spec.maxInFlight);
    state.channel = channel;
    const acks = new AckBatcher(channel);
    state.acks = acks;
    const options: Options.Consume = { noAck: false };
    const stream = state.source.stream;
    if (stream) {
      const resumeAt = resumeOffset(state);
      options.arguments = { 'x-stream-offset': resumeAt ?? stream.offset };
    }
    const ok = await channel.consume(state.source.queue, (msg) => this.received(state, channel, acks, msg), options);
    state.consumerTag = ok.consumerTag;
    if (this.stopped) await channel.cancel(ok.consumerTag).catch(() => undefined);
  }

  /** A channel closed while the connection stayed up (e.g. a channel error): consume again. */
  private channelClosed(state: SourceState, channel: Channel): void {
    if (state.channel !== channel) return;
    state.channel = undefined;
    state.consumerTag = undefined;
    if (this.stopped) return;
    const connection = this.deps.manager.current;
    if (connection) setTimeout(() => {
      if (!this.stopped && !state.channel && this.deps.manager.current === connection) void this.attach(state).catch(() => undefined);
    }, 100);
  }

  private received(state: SourceState, channel: Channel, acks: AckBatcher, msg: ConsumeMessage | null): void {
    if (!msg || this.stopped) return; // null: cancelled by the broker; stopped: held until close
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
      state.lastOffset = offset;
      state.unsettledOffsets.add(offset);
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

  /** A stream delivery is settled or released: the resume point after a reconnect may pass it. */
  settled(delivery: AmqpDelivery): void {
    if (delivery.offset !== undefined) delivery.state.unsettledOffsets.delete(delivery.offset);
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
  readonly offset: number | undefined;

  constructor(
    private readonly subscription: AmqpSubscription,
    readonly state: SourceState,
    readonly channel: Channel,
    readonly acks: AckBatcher,
    readonly msg: ConsumeMessage,
    readonly envelope: Envelope,
    readonly attempt: number,
    readonly coordinates: Coordinates,
  ) {
    this.offset = typeof coordinates.offset === 'number' ? coordinates.offset : undefined;
  }

  ack(): Promise<void> {
    // On a channel that has closed since, the broker already released the message: nothing to do.
    this.acks.ack(this.msg.fields.deliveryTag);
    this.subscription.settled(this);
    return Promise.resolve();
  }

  /** Rejects, changing nothing, when the retry copy is not confirmed (see republish). */
  async nack(delayMs: number): Promise<void> {
    // On a closed channel the broker released it already and delivers it again.
    if (isOpen(this.channel)) await this.subscription.retry(this, delayMs);
    this.subscription.settled(this);
  }

  /** Nothing to send: closing the channel hands an unacked message back to the queue. */
  async release(): Promise<void> {
    this.subscription.settled(this);
  }
}

function resumeOffset(state: SourceState): number | undefined {
  if (state.unsettledOffsets.size > 0) return Math.min(...state.unsettledOffsets);
  return state.lastOffset === undefined ? undefined : state.lastOffset + 1;
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
