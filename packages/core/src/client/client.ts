import { z } from 'zod';
import { jsonCodec, type Codec } from '../codec.ts';
import type { ConsumerOptions } from '../config/consumer-options.ts';
import { parseOptions } from '../config/parse.ts';
import { urlProblem } from '../config/url-problem.ts';
import { Consumer, type ConsumerLag } from '../consumer/consumer.ts';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import type { IdempotencyStore } from '../idempotency/store.ts';
import { ClosedError, ConfigError } from '../errors.ts';
import type { MiddlewareEntry } from '../middleware/placement.ts';
import type { Middleware, PublishMiddleware } from '../middleware/types.ts';
import { Producer } from '../producer/producer.ts';
import { PublishPipeline, type PublishEntry } from '../producer/publish-pipeline.ts';
import type { Capabilities } from '../spi/capabilities.ts';
import type { Transport } from '../spi/transport.ts';
import { redactUrl } from '../redact.ts';
import { childLogger, stderrLogger, type Logger } from '../logging/logger.ts';
import { giveLogger } from '../logging/transport-logger.ts';
import { topicsSchema, type TopicGroups } from './group-declarations.ts';
import { guardTransport } from './guarded-transport.ts';
import { redrive, type RedriveOptions, type RedriveResult } from './redrive.ts';
import { inspectDeadLetters, purgeDeadLetters, type Inspection, type InspectOptions, type PurgeOptions } from './dead-letters.ts';
import { resolveFactory } from './registry.ts';
import { nestScopes, type TransportScope } from './transport-scope.ts';
import { mirrorTransport } from '../migration/mirror-transport.ts';

const entry = <M>() =>
  z.custom<MiddlewareEntry<M>>(
    (v) => typeof v === 'function' || (typeof v === 'object' && v !== null && typeof (v as { middleware?: unknown }).middleware === 'function'),
    'must be a middleware function, or { middleware, before | after: step }',
  );

const middlewareSchema = z
  .object({
    /** Around every consumer's handlers (before each consumer's own `middleware`). */
    consume: z.array(entry<Middleware>()).default([]),
    /** Around every send of this client's producers and of `ctx.publish` in handlers. */
    publish: z.array(entry<PublishMiddleware>()).default([]),
    /** Around Ferry's own work with the transport (see transport-scope.ts). */
    transportScope: z.custom<TransportScope>((v) => typeof v === 'function', 'must be a function (work) => work()').optional(),
  })
  .strict();

const isLogger = (v: unknown): v is Logger =>
  typeof v === 'object' && v !== null && ['debug', 'info', 'warn', 'error'].every((level) => typeof (v as Record<string, unknown>)[level] === 'function');

const adapterOptions = z.record(z.string(), z.unknown());

const clientOptionsSchema = z
  .object({
    codec: z.custom<Codec>((v) => typeof (v as Codec | null)?.encode === 'function' && typeof (v as Codec).decode === 'function', 'must be a Codec { contentType, encode, decode }').optional(),
    /**
     * Options for the adapter the URL selects (see docs/adapters/<name>.md); with two URLs (a
     * mirror), one object per URL: `[kafkaOptions, sqsOptions]`.
     */
    transport: z.union([z.tuple([adapterOptions, adapterOptions]), adapterOptions]).default({}),
    /**
     * The consumer groups each topic keeps messages for from the first publish on, before their
     * consumers first start: `{ orders: { groups: ['billing', 'shipping'] } }`. Brokers that keep
     * messages only for queues that exist (RabbitMQ, SQS) get the groups' queues before the first
     * publish to the topic; a log (Kafka, memory) keeps them anyway.
     */
    topics: topicsSchema.optional(),
    /**
     * The store consumers use for exactly-once unless given their own: share one across processes
     * (@ferry/redis, @ferry/postgres). Default: one in-memory store per client.
     */
    idempotencyStore: z
      .custom<IdempotencyStore>((v) => typeof (v as IdempotencyStore | null)?.claim === 'function' && typeof (v as IdempotencyStore).extend === 'function', 'must implement IdempotencyStore (claim, extend, complete, release)')
      .optional(),
    middleware: middlewareSchema.optional(),
    /**
     * Where Ferry's logs go, and the transport's (its client library's) where the adapter supports
     * it: a pino logger or anything with pino's `{ debug, info, warn, error }(fields, message)`
     * shape. Default: `warn` and `error` lines on stderr.
     */
    logger: z.custom<Logger>(isLogger, 'must have debug, info, warn and error methods taking (fields, message), as pino does').optional(),
  })
  .strict();

const producerOptionsSchema = z
  .object({
    /** This producer's publish middleware, after the client's. A function goes before the `check` step. */
    middleware: z.array(entry<PublishMiddleware>()).default([]),
  })
  .strict();

export type ClientOptions = z.input<typeof clientOptionsSchema>;
export type ProducerOptions = z.input<typeof producerOptionsSchema>;

/** Middleware added to a whole client at once (`client.use`): what an instrumentation package brings. */
export interface ClientPlugin {
  readonly consume?: readonly MiddlewareEntry<Middleware>[];
  readonly publish?: readonly MiddlewareEntry<PublishMiddleware>[];
  /** Runs Ferry's own transport work (deliveries, settlement, redrive) inside the plugin's context. */
  readonly transportScope?: TransportScope;
}

/** One connection to one broker: makes producers and consumers that share it. */
export class Client {
  /** The transport, guarded: closed and capability checks on every call (see guardTransport). */
  readonly transport: Transport;
  private closed = false;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private readonly idempotencyStore: IdempotencyStore;
  /** Replaced, never mutated, by `use`: producers cache their stack per array. */
  private consumeMiddleware: readonly MiddlewareEntry<Middleware>[];
  private publishMiddleware: readonly PublishEntry[];
  private transportScope: TransportScope | undefined;
  /** Where this client's consumers log (the `logger` option, or warn/error lines on stderr). */
  readonly logger: Logger;

  constructor(
    transport: Transport,
    private readonly codec: Codec = jsonCodec,
    options: { idempotencyStore?: IdempotencyStore; middleware?: ClientPlugin; logger?: Logger; topics?: TopicGroups } = {},
  ) {
    this.transport = guardTransport(transport, { topics: options.topics });
    // One store for this client's consumers (duplicates across them are seen).
    this.idempotencyStore = options.idempotencyStore ?? new MemoryIdempotencyStore();
    this.consumeMiddleware = [...(options.middleware?.consume ?? [])];
    this.publishMiddleware = [...(options.middleware?.publish ?? [])];
    this.transportScope = options.middleware?.transportScope;
    this.logger = options.logger ?? stderrLogger();
  }

  /**
   * Adds middleware to every producer of this client (at once) and every consumer started from now
   * on. Returns the client.
   */
  use(plugin: ClientPlugin): this {
    this.assertOpen();
    const parsed = parseOptions(middlewareSchema, plugin, 'client.use');
    this.consumeMiddleware = [...this.consumeMiddleware, ...parsed.consume];
    this.publishMiddleware = [...this.publishMiddleware, ...parsed.publish];
    this.transportScope = nestScopes(this.transportScope, parsed.transportScope);
    return this;
  }

  /** What the selected transport can do (ordering, replay, delay, priority, limits...). */
  get capabilities(): Capabilities {
    return this.transport.capabilities;
  }

  producer(options: ProducerOptions = {}): Producer {
    this.assertOpen();
    const parsed = parseOptions(producerOptionsSchema, options, 'producer');
    const producer = new Producer(new PublishPipeline(this.transport, this.codec, () => this.publishMiddleware, parsed.middleware, 'producer.middleware'));
    this.producers.add(producer);
    return producer;
  }

  /** Validates `options` now: a bad option fails here, not at the first message. */
  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    const consumer = new Consumer(this.transport, this.codec, options, {
      defaultStore: this.idempotencyStore,
      consumeMiddleware: () => this.consumeMiddleware,
      publishMiddleware: () => this.publishMiddleware,
      transportScope: () => this.transportScope,
      logger: this.logger,
    });
    this.consumers.add(consumer);
    return consumer;
  }

  /** Moves dead letters back to their original topic. */
  async redrive(options: RedriveOptions): Promise<RedriveResult> {
    this.assertOpen();
    await this.transport.connect?.();
    return redrive(this.transport, options, this.transportScope);
  }

  /** Reads a dead-letter topic without consuming it (each dead letter is given back at the end). */
  async inspectDeadLetters(options: InspectOptions): Promise<Inspection> {
    this.assertOpen();
    await this.transport.connect?.();
    return inspectDeadLetters(this.transport, options);
  }

  /** Removes dead letters for good (all, or those `select` matches). */
  async purgeDeadLetters(options: PurgeOptions): Promise<{ purged: number; skipped: number }> {
    this.assertOpen();
    await this.transport.connect?.();
    return purgeDeadLetters(this.transport, options);
  }

  /** The lag of every started consumer of this client (`Consumer.lag`), for a gauge or a health check. */
  async lag(): Promise<ConsumerLag[]> {
    const all = await Promise.all([...this.consumers].map((c) => c.lag()));
    return all.flat();
  }

  /** Closes consumers (graceful, see Consumer.close), producers, then the transport. Idempotent. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close(options)));
    await Promise.all([...this.producers].map((p) => p.close()));
    await this.transport.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('client');
  }
}

/** A broker URL, or a transport made in code. */
export type ClientTarget = string | URL | Transport;

/**
 * `createClient('memory://')`, `createClient('kafka://127.0.0.1:9092')`,
 * `createClient('amqp://user:pass@host/vhost')`, `createClient('sqs://us-east-1?endpoint=...')`,
 * or `createClient(transportInstance)`. The adapter package for the scheme must be installed.
 *
 * Two targets, `createClient([from, to])`, make a mirror for a migration's cut-over
 * (`mirrorTransport`): every publish goes to both and resolves once both confirmed; consumers read
 * both (give them a shared idempotency store). docs/migration.md.
 */
export async function createClient(target: ClientTarget | readonly [ClientTarget, ClientTarget], options: ClientOptions = {}): Promise<Client> {
  const parsed = parseOptions(clientOptionsSchema, options, 'client');
  const adapterOptions = parsed.transport;
  let transport: Transport;
  if (isPair(target)) {
    if (!Array.isArray(adapterOptions) && Object.keys(adapterOptions).length > 0) {
      throw new ConfigError('client.transport', 'is one object for two targets', 'Give one options object per target: transport: [optionsOfTheFirst, optionsOfTheSecond].');
    }
    const [first, second] = Array.isArray(adapterOptions) ? adapterOptions : [{}, {}];
    const primary = await transportFor(target[0], first);
    let secondary: Transport;
    try {
      secondary = await transportFor(target[1], second);
    } catch (error) {
      if (!isTransport(target[0])) await primary.close().catch(() => undefined);
      throw error;
    }
    transport = mirrorTransport(primary, secondary);
  } else {
    if (Array.isArray(adapterOptions)) throw new ConfigError('client.transport', 'is a list, but one target is given', 'Give one options object, or two targets: createClient([urlA, urlB], { transport: [optionsA, optionsB] }).');
    transport = await transportFor(target, adapterOptions);
  }
  const logger = parsed.logger ?? stderrLogger();
  // Before connect(): the adapter builds its clients' loggers from it.
  giveLogger(transport, childLogger(logger, { transport: transport.name }));
  try {
    return new Client(transport, parsed.codec ?? jsonCodec, { idempotencyStore: parsed.idempotencyStore, middleware: parsed.middleware, logger, topics: parsed.topics });
  } catch (error) {
    // A transport made here from a URL is ours to close; one given is the caller's.
    if (!isTransport(target)) await transport.close().catch(() => undefined);
    throw error;
  }
}

function isPair(target: ClientTarget | readonly [ClientTarget, ClientTarget]): target is readonly [ClientTarget, ClientTarget] {
  return Array.isArray(target);
}

function isTransport(target: ClientTarget | readonly [ClientTarget, ClientTarget]): target is Transport {
  return typeof target === 'object' && !(target instanceof URL) && !Array.isArray(target);
}

/** The transport of a URL (its adapter package, loaded on demand), or the transport given. */
async function transportFor(target: ClientTarget, options: Readonly<Record<string, unknown>>): Promise<Transport> {
  if (typeof target !== 'string' && !(target instanceof URL)) return target;
  let url: URL;
  try {
    url = new URL(String(target));
  } catch {
    throw new ConfigError('url', `${JSON.stringify(redactUrl(String(target)))} ${urlProblem(String(target))}`, 'Use e.g. memory://, kafka://host:9092, amqp://user:pass@host:5672/vhost or sqs://us-east-1.');
  }
  const factory = await resolveFactory(url);
  return factory(url, options);
}
