import type { Codec } from '../codec.ts';
import { checkDelay, checkStart } from '../capability-check.ts';
import { consumerOptionsSchema, retrySchema, type ConsumerOptions, type ResolvedConsumerOptions, type RetryOptions } from '../config/consumer-options.ts';
import { parseOptions } from '../config/parse.ts';
import { CapabilityError, ClosedError, ConfigError, FerryError } from '../errors.ts';
import type { IdempotencyGuard } from '../idempotency/guard.ts';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import type { IdempotencyStore } from '../idempotency/store.ts';
import type { MessageDefinition, PayloadOut } from '../message.ts';
import { compose } from '../middleware/compose.ts';
import { deadLetter } from '../middleware/dead-letter.ts';
import { decode } from '../middleware/decode.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { deliveryLimit } from '../middleware/delivery-limit.ts';
import { placeMiddleware, type MiddlewareEntry } from '../middleware/placement.ts';
import { retry } from '../middleware/retry.ts';
import { timeout } from '../middleware/timeout.ts';
import type { HandlerFn, MessageContext, Middleware } from '../middleware/types.ts';
import { validateSchema } from '../middleware/validate-schema.ts';
import { PublishPipeline, type PublishEntry } from '../producer/publish-pipeline.ts';
import { openSubscription } from '../client/guarded-transport.ts';
import type { Transport } from '../spi/transport.ts';
import type { SubscriptionHealth, SupervisedSubscription } from './supervised-subscription.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import type { TransportScope } from '../client/transport-scope.ts';
import { loggingHooks } from '../logging/log-hooks.ts';
import { stderrLogger, type Logger } from '../logging/logger.ts';
import { BatchCollector, type BatchHandler, type BatchOptions } from './batch-collector.ts';
import { BatchLane } from './batch-lane.ts';
import { handleDirect } from './direct-handle.ts';
import { PendingAcks } from './pending-acks.ts';
import { KeyedScheduler } from './keyed-scheduler.ts';
import { RunningContexts } from './running-contexts.ts';
import type { DeliveryContext } from './message-context.ts';
import { processDelivery, type LoopSettings } from './process-delivery.ts';
import { report } from './report.ts';

export type Handler<M extends MessageDefinition> = (payload: PayloadOut<M>, ctx: MessageContext) => Promise<void> | void;

/** What a consumer takes from its client: the default store and the client-wide middleware. */
export interface ConsumerShared {
  /** Used when exactly-once is asked without a store of its own. */
  readonly defaultStore: IdempotencyStore;
  /** Client-wide consume middleware (`client.use`), placed before the consumer's own. */
  readonly consumeMiddleware: () => readonly MiddlewareEntry<Middleware>[];
  /** Client-wide publish middleware, for `ctx.publish` in handlers. */
  readonly publishMiddleware: () => readonly PublishEntry[];
  /** Runs each delivery's processing and settlement (a plugin's context, `client.use`); read at start(). */
  readonly transportScope?: () => TransportScope | undefined;
  /** Where problems are logged (default: warn and error lines on stderr). */
  readonly logger?: Logger;
}

/** The consume stack's built-in steps, outermost first. Your middleware goes before `handler` unless placed. */
export const CONSUME_STEPS = ['deadLetter', 'retry', 'timeout', 'deliveryLimit', 'decode', 'validateSchema', 'idempotency', 'handler'] as const;
export type ConsumeStep = (typeof CONSUME_STEPS)[number];

/** What `consumer.health()` says. */
export interface ConsumerHealth {
  /** Started, not closing, and every subscription delivering. */
  readonly delivering: boolean;
  readonly subscriptions: readonly SubscriptionHealth[];
}

/** Messages waiting for a group on one topic, as its broker tells it (see `Consumer.lag`). */
export interface ConsumerLag {
  readonly topic: string;
  readonly group: string;
  readonly messages: number;
}

export interface CloseOptions {
  /** How long to wait for in-flight handlers. Unfinished ones are released for redelivery. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Receives typed messages for one group. Register handlers with `handle`, then `start`.
 * The middleware stack, outermost first (yours go before `handler` unless placed by step name):
 *   deadLetter → retry → timeout → deliveryLimit → decode → validateSchema → idempotency → handler
 */
export class Consumer {
  readonly options: ResolvedConsumerOptions;
  private readonly handlers = new Map<string, { definition: MessageDefinition; handler?: Handler<MessageDefinition>; batch?: BatchCollector }>();
  /** Batch handlers' fast paths by message type, made at start() when nothing runs per message around them. */
  private readonly lanes = new Map<string, BatchLane>();
  /** `handle`d message types' fast paths (direct-handle.ts), made at start() under the lanes' conditions. */
  private readonly direct = new Map<string, (delivery: GatedDelivery) => Promise<void>>();
  /** Deliveries a fast path failed (a lane's batch, a direct handler), with that first attempt's error, for the chain. */
  private readonly failedFirst = new WeakMap<GatedDelivery, { readonly error: unknown }>();
  private readonly subscriptions: SupervisedSubscription[] = [];
  private readonly running = new RunningContexts();
  /** Acks of the fast paths still completing after their handlers' slots were freed. */
  private readonly pendingAcks: PendingAcks;
  /** Most deliveries its subscriptions hand over and core holds (the `prefetch` option). */
  private readonly prefetch: number;
  private readonly scheduler: KeyedScheduler<GatedDelivery>;
  /** The consume loop's settings, made at start(). */
  private settings: LoopSettings | undefined;
  private readonly orderedByKey: boolean;
  /** The retry policy in force (the transport's limits applied to the defaults). */
  private readonly retryPolicy: RetryOptions;
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private abandoned = false;
  /** Set at start() from the client's plugins; undefined (the usual case) adds nothing per delivery. */
  private scope: TransportScope | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly transport: Transport,
    private readonly codec: Codec,
    options: ConsumerOptions,
    private readonly shared: ConsumerShared = { defaultStore: new MemoryIdempotencyStore(), consumeMiddleware: () => [], publishMiddleware: () => [] },
  ) {
    this.options = parseOptions(consumerOptionsSchema, options, 'consumer');
    this.orderedByKey = this.options.orderedByKey ?? transport.capabilities.orderingByKey;
    this.retryPolicy = this.resolveRetryPolicy();
    this.checkAgainstTransport();
    // Placement errors (an unknown step name) surface now, not at start().
    placeMiddleware(CONSUME_STEPS.map((name) => ({ name, middleware: undefined })), [...this.shared.consumeMiddleware(), ...this.options.middleware], 'handler', 'consumer.middleware');
    this.prefetch = this.options.prefetch ?? this.options.concurrency * 2;
    // As many acks may complete beside the handlers as deliveries wait for them.
    this.pendingAcks = new PendingAcks(this.prefetch);
    this.scheduler = new KeyedScheduler<GatedDelivery>(this.options.concurrency, (delivery) => this.runDelivery(delivery), (error) => report(this.settings!.hooks, error));
    this.logger = this.shared.logger ?? stderrLogger();
  }

  /** Registers the handler for one message type. Call before start(). */
  handle<M extends MessageDefinition>(message: M, handler: Handler<M>): this {
    this.register(message, 'handle');
    this.handlers.set(message.type, { definition: message, handler: handler as Handler<MessageDefinition> });
    return this;
  }

  /**
   * Registers a handler that takes messages of one type in batches (up to `maxSize`, waiting at
   * most `maxWaitMs` for a batch to fill). Every message keeps its own guarantees: it is decoded,
   * validated, deduplicated, retried, dead-lettered and acked on its own; only the handler call is
   * shared. Return `{ failed: [{ item, error }] }` to fail some items (the rest are acked), or throw
   * to fail them all. Batches fill from the messages in flight, so `concurrency` must be at least
   * `maxSize`; with per-key order a batch holds at most one message per key (the next one of that
   * key goes in a later batch, in order). With nothing running per message around the handler
   * (at-least-once, no middleware, no idempotency step, no maxDeliveries), unkeyed messages skip
   * the per-message chain (batch-lane.ts); what fails there is retried on the per-message path.
   */
  handleBatch<M extends MessageDefinition>(message: M, handler: BatchHandler<M>, options: BatchOptions = {}): this {
    this.register(message, 'handleBatch');
    const batch = new BatchCollector(handler as BatchHandler<MessageDefinition>, options, message.type);
    if (batch.maxSize > this.options.concurrency) {
      throw new ConfigError(
        'consumer.concurrency',
        `${this.options.concurrency} is below handleBatch(${message.type}).maxSize (${batch.maxSize}): a batch fills from the messages in flight`,
        `Set concurrency to at least ${batch.maxSize}, or lower maxSize.`,
      );
    }
    this.handlers.set(message.type, { definition: message, batch });
    return this;
  }

  private register(message: MessageDefinition, how: string): void {
    if (this.state !== 'new') throw new FerryError('FERRY_STATE', `consumer.${how}(${message.type}) must be called before start().`);
    if (this.handlers.has(message.type)) throw new FerryError('FERRY_STATE', `A handler for ${message.type} is already registered on this consumer.`);
  }

  async start(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError('consumer');
    if (this.state !== 'new') throw new FerryError('FERRY_STATE', 'consumer.start() was already called.');
    if (this.handlers.size === 0) throw new FerryError('FERRY_STATE', 'consumer.start() needs at least one consumer.handle(message, handler) or handleBatch first.');
    this.state = 'starting';
    await this.transport.connect?.();
    this.scope = this.shared.transportScope?.();
    const settings = this.loopSettings();
    this.settings = settings;
    this.openFastPaths();
    const topics = new Set([...this.handlers.values()].map((h) => h.definition.topic));
    const prefetch = this.prefetch;
    try {
      for (const topic of topics) {
        const subscription = await openSubscription(
          this.transport,
          {
            topic,
            group: this.options.group,
            maxInFlight: prefetch,
            start: this.options.start,
            deadLetterTopic: this.deadLetterTopic(topic),
            handlerTimeoutMs: this.options.handlerTimeoutMs,
            orderedByKey: this.orderedByKey,
            delivery: this.options.delivery,
          },
          (delivery) => this.onDelivery(delivery),
          (error) => report(settings.hooks, error),
          this.options.restart,
        );
        this.subscriptions.push(subscription);
      }
    } catch (error) {
      await Promise.allSettled(this.subscriptions.map((s) => s.close()));
      this.state = 'closed';
      throw error;
    }
    this.state = 'running';
    this.logger.info({ group: this.options.group, topics: [...topics], transport: this.transport.name, delivery: this.options.delivery }, 'consumer started');
  }

  /** Stops taking messages, lets in-flight handlers finish (up to the deadline), settles them. Idempotent. */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs ?? 30_000);
    return this.closing;
  }

  /**
   * Whether each subscription (one per topic) is handing messages over: `delivering`,
   * `restarting` (its transport gave up; Ferry subscribes again with backoff) or `stopped` (closed).
   * `delivering` overall is true once started while every subscription delivers.
   */
  health(): ConsumerHealth {
    const subscriptions = this.subscriptions.map((s) => s.health());
    return { delivering: this.state === 'running' && subscriptions.every((s) => s.state === 'delivering'), subscriptions };
  }

  /**
   * Messages waiting, per subscribed topic, where the transport can tell (Kafka: this member's
   * partitions, end offset minus committed; RabbitMQ and SQS: the group's queue; memory: the
   * group's backlog). A subscription that cannot tell now (restarting, or no `lag` on its
   * transport) is left out.
   */
  async lag(): Promise<ConsumerLag[]> {
    const read = await Promise.all(
      this.subscriptions.map(async (s) => {
        const { topic, state } = s.health();
        if (!s.lag || state !== 'delivering') return undefined;
        const lag = await s.lag().catch(() => undefined);
        return lag && { topic, group: this.options.group, messages: lag.messages };
      }),
    );
    return read.filter((l): l is ConsumerLag => l !== undefined);
  }

  /** Deliveries received and not yet settled. */
  get inFlight(): number {
    let n = this.scheduler.size + this.pendingAcks.size;
    for (const lane of this.lanes.values()) n += lane.size;
    return n;
  }

  /** Resolves when nothing is in flight (a lane may hand a delivery to the scheduler as it finishes). */
  private async drained(): Promise<void> {
    while (this.inFlight > 0) await Promise.all([this.scheduler.idle(), this.pendingAcks.idle(), ...[...this.lanes.values()].map((lane) => lane.idle())]);
  }

  /**
   * When nothing would run per message around the handlers (at-least-once, no middleware of the
   * user's or the client's, no idempotency step, no delivery limit, no plugin scope), a batch
   * handler takes the lane (batch-lane.ts) and a handler handles directly (direct-handle.ts);
   * what fails there runs the chain. Otherwise every message runs the whole chain.
   */
  private openFastPaths(): void {
    const o = this.options;
    const plain =
      o.delivery === 'at-least-once' && o.middleware.length === 0 && this.shared.consumeMiddleware().length === 0 && this.idempotencyGuard() === undefined && o.maxDeliveries === undefined && this.scope === undefined;
    if (!plain) return;
    const settings = this.settings!;
    const host = {
      settings,
      running: this.running,
      codec: this.codec,
      chain: (delivery: GatedDelivery, failure?: { readonly error: unknown }) => {
        if (failure) this.failedFirst.set(delivery, failure);
        return this.abandoned ? Promise.resolve() : processDelivery(delivery, settings, this.running);
      },
      acks: this.pendingAcks,
      mayOvertake: (delivery: GatedDelivery) => !this.keepsKeyOrder(delivery),
    };
    const timed = timeout(o.handlerTimeoutMs, (ctx) => (ctx as DeliveryContext).abort());
    for (const [type, h] of this.handlers) {
      if (h.handler) {
        const handler = h.handler;
        const definition = h.definition;
        const call = timed((ctx) => callHandler(handler, ctx));
        this.direct.set(type, (delivery) => handleDirect(delivery, definition, call, host));
        continue;
      }
      if (!h.batch) continue;
      const lane = new BatchLane(
        h.definition,
        h.batch.handler,
        { maxSize: h.batch.maxSize, maxWaitMs: h.batch.maxWaitMs, concurrency: o.concurrency, handlerTimeoutMs: o.handlerTimeoutMs },
        this.codec,
        {
          settings: () => this.settings!,
          running: this.running,
          abandoned: () => this.abandoned,
          handOver: (delivery, failure) => {
            if (failure) this.failedFirst.set(delivery, failure);
            this.scheduler.schedule(undefined, delivery);
          },
          acks: this.pendingAcks,
        },
      );
      this.lanes.set(type, lane);
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.state = 'closing';
    // No new deliveries (an adapter's stop may take a while: a long poll ends); the ones held are
    // handled meanwhile, up to the deadline.
    const stopping = Promise.allSettled(this.subscriptions.map((s) => s.stop?.()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.drained(), deadline]);
    clearTimeout(timer);
    // Past the deadline: nothing new starts, running handlers are told to stop, and closing each
    // subscription releases what it still holds for redelivery (late settle calls do nothing),
    // once the adapter hands nothing more.
    this.abandoned = true;
    for (const lane of this.lanes.values()) lane.abandon();
    this.running.releaseAll();
    await stopping;
    await Promise.allSettled(this.subscriptions.map((s) => s.close()));
    this.state = 'closed';
    this.logger.info({ group: this.options.group, transport: this.transport.name }, 'consumer closed');
  }

  private onDelivery(delivery: GatedDelivery): void {
    const key = this.schedulingKey(delivery);
    if (key === undefined && this.lanes.size > 0) {
      const lane = this.lanes.get(delivery.envelope.type);
      if (lane) return lane.add(delivery);
    }
    this.scheduler.schedule(key, delivery);
  }

  /** Runs one scheduled delivery (no closure per delivery: the scheduler holds the delivery itself). */
  private runDelivery(delivery: GatedDelivery): Promise<void> {
    const settings = this.settings!;
    // Released when its subscription closes once abandoned: delivered again later, not run here.
    if (this.abandoned) return Promise.resolve();
    const direct = this.direct.size > 0 ? this.direct.get(delivery.envelope.type) : undefined;
    if (direct) return direct(delivery);
    const scope = this.scope;
    return scope ? scope(() => processDelivery(delivery, settings, this.running)) : processDelivery(delivery, settings, this.running);
  }

  /** Deliveries with one key run one at a time, in order: per partition under transactions, else per message key. */
  private schedulingKey(delivery: GatedDelivery): string | undefined {
    if (this.options.delivery === 'exactly-once' && delivery.transact && delivery.serialKey !== undefined) return `\u0001${delivery.serialKey}`;
    if (this.keepsKeyOrder(delivery)) return `${delivery.envelope.topic}\u0000${delivery.envelope.key}`;
    return undefined;
  }

  /** Under key order, a keyed delivery runs after the one before it of its key, and before the next. */
  private keepsKeyOrder(delivery: GatedDelivery): boolean {
    return this.orderedByKey && delivery.envelope.key !== undefined;
  }

  private loopSettings(): LoopSettings {
    const o = this.options;
    const policy = this.retryPolicy;
    const guard = this.idempotencyGuard();
    const steps: Array<{ name: ConsumeStep; middleware: Middleware | undefined }> = [
      { name: 'deadLetter', middleware: o.deadLetter !== false ? deadLetter() : undefined },
      { name: 'retry', middleware: policy.attempts > 1 ? retry(policy) : undefined },
      { name: 'timeout', middleware: timeout(o.handlerTimeoutMs, (ctx) => (ctx as DeliveryContext).abort()) },
      { name: 'deliveryLimit', middleware: this.deliveryLimitStep() },
      { name: 'decode', middleware: decode(this.codec, new Map([...this.handlers].map(([type, h]) => [type, h.definition])), o.unknownTypes) },
      { name: 'validateSchema', middleware: validateSchema() },
      { name: 'idempotency', middleware: guard?.middleware({ group: o.group }) },
      { name: 'handler', middleware: undefined },
    ];
    const chain = placeMiddleware(steps, [...this.shared.consumeMiddleware(), ...o.middleware], 'handler', 'consumer.middleware');
    const handlers = this.handlers;
    const failedFirst = this.failedFirst;
    // Not async (see the decode middleware): a handler's sync throw still becomes a rejection.
    const dispatch: HandlerFn = (ctx) => {
      // A message a fast path failed: that was its first attempt (retried from here on).
      const delivery = (ctx as DeliveryContext).delivery;
      const failed = failedFirst.get(delivery);
      if (failed) {
        failedFirst.delete(delivery);
        return Promise.reject(failed.error);
      }
      const registered = handlers.get(ctx.envelope.type)!;
      if (registered.batch) return registered.batch.add(ctx);
      return callHandler(registered.handler!, ctx);
    };
    const delay = this.transport.capabilities.delay;
    return {
      transport: this.transport,
      publisher: new PublishPipeline(this.transport, this.codec, this.shared.publishMiddleware),
      group: o.group,
      mode: o.delivery,
      deadLetter: o.deadLetter === false ? false : { topicFor: (topic) => this.deadLetterTopic(topic), includeStack: o.deadLetter.includeStack },
      chain: compose(chain, dispatch),
      fallbackRetryDelayMs: policy.maxDelayMs,
      settleRetryDelayMs: delay === false ? 0 : Math.min(1000, delay.maxMs),
      hooks: loggingHooks(o.hooks ?? {}, this.logger),
    };
  }

  private deadLetterTopic(topic: string): string {
    const dl = this.options.deadLetter;
    return dl !== false && dl.topic ? dl.topic : `${topic}.dlq`;
  }

  /**
   * The `deliveryLimit` step, with `maxDeliveries`: the broker's count, plus the store's count of
   * deliveries whose process died unless the store-backed idempotency step counts those already
   * (its `maxClaims`, under exactly-once).
   */
  private deliveryLimitStep(): Middleware | undefined {
    const given = this.options.maxDeliveries;
    if (given === undefined) return undefined;
    const { limit, store, leaseMs } = typeof given === 'number' ? { limit: given, store: undefined, leaseMs: 30_000 } : given;
    const idem = this.options.idempotency;
    // The store-backed idempotency step (given as settings, or exactly-once's default) counts them.
    const storeStep = idem === undefined ? this.options.delivery === 'exactly-once' : idem !== false && !('middleware' in idem);
    return deliveryLimit({ maxDeliveries: limit, store: store ?? (storeStep ? undefined : this.shared.defaultStore), leaseMs });
  }

  /** The `idempotency` step: a guard given as is, or core's store-backed one (on by default under exactly-once). */
  private idempotencyGuard(): IdempotencyGuard | undefined {
    const given = this.options.idempotency;
    if (given === false) return undefined;
    if (given === undefined && this.options.delivery !== 'exactly-once') return undefined;
    if (given !== undefined && 'middleware' in given) return given;
    const settings = given ?? { ttlMs: 24 * 60 * 60 * 1000, leaseMs: 30_000, maxClaims: 5 };
    const store = settings.store ?? this.shared.defaultStore;
    return { middleware: () => idempotency({ store, ttlMs: settings.ttlMs, leaseMs: settings.leaseMs, maxClaims: settings.maxClaims }) };
  }

  /**
   * The given policy, or the default one: no retry under at-most-once, and immediate retries on a
   * transport that cannot delay (so a default consumer works everywhere).
   */
  private resolveRetryPolicy(): RetryOptions {
    const o = this.options;
    if (o.retry) return o.retry;
    if (o.delivery === 'at-most-once') return retrySchema.parse({ attempts: 1 });
    if (this.transport.capabilities.delay === false) return retrySchema.parse({ initialDelayMs: 0, maxDelayMs: 0 });
    return retrySchema.parse({});
  }

  /** Refuses, at configuration, what this transport or delivery mode cannot do. */
  private checkAgainstTransport(): void {
    const o = this.options;
    checkStart(this.transport, o.start);
    if (o.orderedByKey === true && !this.transport.capabilities.orderingByKey) {
      throw new CapabilityError(
        this.transport.name,
        'per-key ordering',
        'consumers of one group may receive messages of one key out of order',
        'Drop orderedByKey, or configure the adapter for ordering (see its docs: e.g. single active consumer on RabbitMQ, FIFO queues on SQS).',
      );
    }
    if (o.delivery === 'at-most-once' && o.retry && o.retry.attempts > 1) {
      throw new ConfigError('consumer.retry.attempts', 'at-most-once acknowledges before the handler runs, so a failed message cannot come back', "Use delivery: 'at-least-once' for retries, or retry.attempts: 1.");
    }
    if (o.delivery === 'exactly-once' && o.idempotency === false) {
      throw new ConfigError('consumer.idempotency', "exactly-once needs the idempotency store to drop duplicates", 'Remove idempotency: false, or pass { store } for a shared store.');
    }
    const limit = typeof o.maxDeliveries === 'number' ? o.maxDeliveries : o.maxDeliveries?.limit;
    if (limit !== undefined && limit < this.retryPolicy.attempts) {
      // Every retry is a delivery (the broker's count, a retry copy's attempt): the limit would end
      // the retries early and call an ordinary failure a crash loop.
      throw new ConfigError(
        'consumer.maxDeliveries',
        `is ${limit}, below the ${this.retryPolicy.attempts} attempts of the retry policy, and every retry is a delivery: a failing message would be dead-lettered as a crash loop before its retries ran out`,
        `Set maxDeliveries to at least ${this.retryPolicy.attempts}, or retry.attempts to at most ${limit}.`,
      );
    }
    const longest = maxBackoff(this.retryPolicy);
    if (o.delivery !== 'at-most-once' && this.retryPolicy.attempts > 1 && longest > 0) checkDelay(this.transport, longest, 'retry backoff');
  }
}

function maxBackoff(policy: { initialDelayMs: number; multiplier: number; attempts: number; maxDelayMs: number }): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, policy.attempts - 2));
}

/** Calls a handler with its payload; a synchronous throw becomes a rejection. */
function callHandler(handler: Handler<MessageDefinition>, ctx: MessageContext): Promise<void> {
  try {
    return Promise.resolve(handler(ctx.payload as PayloadOut<MessageDefinition>, ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}
