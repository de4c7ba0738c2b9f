import { randomBytes } from 'node:crypto';
import {
  createClient,
  type Capabilities,
  type Client,
  type ClientOptions,
  type Consumer,
  type ConsumerOptions,
  type Handler,
  type IdempotencyStore,
  type MessageDefinition,
  type Transport,
} from '@ferry/core';
import { guardTransport } from '@ferry/core/spi';
import type { ConformanceOptions, StoreFactory } from './options.ts';

/** What every case knows about the transport under test, read once from an instance. */
export interface SuiteInfo {
  readonly options: ConformanceOptions;
  /** `transport.name` of the adapter, as errors name it. */
  readonly transportName: string;
  readonly capabilities: Capabilities;
  /** timeoutScale, >= 1 for slow brokers. */
  readonly scale: number;
}

/** Retry policy input (`ConsumerOptions['retry']`), defined here to keep cases short. */
export type RetryInput = NonNullable<ConsumerOptions['retry']>;

const slug = (text: string, max: number): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max) || 'x';

/**
 * One case's resources: unique topic and group names, clients on fresh transports, and the
 * clean-up that closes all of them when the case ends (pass or fail).
 */
export class CaseEnv {
  /** Random per case run: topic and group names never collide across cases or runs. */
  readonly run = randomBytes(4).toString('hex');
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(
    readonly suite: SuiteInfo,
    readonly caseId: string,
    /** The store of a per-store case (see `store()`). */
    readonly storeFactory?: StoreFactory,
  ) {}

  get capabilities(): Capabilities {
    return this.suite.capabilities;
  }

  get transportName(): string {
    return this.suite.transportName;
  }

  /** `ms` scaled by timeoutScale: use for every wait. */
  ms(ms: number): number {
    return Math.ceil(ms * this.suite.scale);
  }

  /** `conf-<name>-<case>-<random>[-<part>]`: unique per case and run, valid on every broker (no dots). */
  topic(part?: string): string {
    return ['conf', slug(this.suite.options.name, 12), slug(this.caseId, 20), this.run, ...(part ? [slug(part, 12)] : [])].join('-');
  }

  /** A consumer group name unique to this case run. */
  group(part = 'g'): string {
    return ['conf', slug(this.caseId, 20), this.run, slug(part, 12)].join('-');
  }

  /** A new transport (a new "process") as core uses it (guarded: see guardTransport), closed when the case ends. */
  async transport(): Promise<Transport> {
    const transport = guardTransport(await this.suite.options.createTransport());
    this.closers.push(() => transport.close());
    return transport;
  }

  /** A client over a new transport, closed (with its consumers and producers) when the case ends. */
  async client(options: ClientOptions = {}): Promise<Client> {
    const transport = await this.suite.options.createTransport();
    return this.wrap(transport, options);
  }

  /** A client over a given transport (e.g. one through the fault proxy), closed when the case ends. */
  async wrap(transport: Transport, options: ClientOptions = {}): Promise<Client> {
    let client: Client;
    try {
      client = await createClient(transport, options);
    } catch (error) {
      await transport.close();
      throw error;
    }
    // Teardown does not wait for handlers a case left hanging on purpose.
    this.closers.push(() => client.close({ timeoutMs: 0 }));
    return client;
  }

  /**
   * An idempotency store instance for one simulated process of a per-store case: its own
   * connection to the store's database, closed when the case ends.
   */
  async store(): Promise<IdempotencyStore> {
    if (!this.storeFactory) throw new Error(`case ${this.caseId} asked for a store but is not marked perStore`);
    const store = await this.storeFactory.create();
    this.closers.push(async () => store.close?.());
    return store;
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.closers.push(async () => fn());
  }

  /** Creates, registers one handler on and starts a consumer. */
  async consume<M extends MessageDefinition>(client: Client, options: ConsumerOptions, message: M, handler: Handler<M>): Promise<Consumer> {
    const consumer = client.consumer(options).handle(message, handler);
    await consumer.start();
    return consumer;
  }

  /**
   * A retry policy the transport can honour: the given backoff with no jitter where delayed
   * delivery is declared, immediate redelivery where it is not.
   */
  retry(attempts: number, initialDelayMs = 10, multiplier = 2): RetryInput {
    if (this.capabilities.delay === false) return { attempts, initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0 };
    return { attempts, initialDelayMs, multiplier, maxDelayMs: Math.max(initialDelayMs * multiplier ** Math.max(0, attempts - 2), initialDelayMs), jitter: 0 };
  }

  /** Closes everything the case opened, newest first; errors are collected, not thrown over each other. */
  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `closing the case's clients failed: ${errors.map(String).join('; ')}`);
  }
}
