import { z } from 'zod';
import { jsonCodec, type Codec } from '../codec.ts';
import type { ConsumerOptions } from '../config/consumer-options.ts';
import { parseOptions } from '../config/parse.ts';
import { Consumer } from '../consumer/consumer.ts';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import { ClosedError, ConfigError } from '../errors.ts';
import { Producer } from '../producer/producer.ts';
import type { Capabilities } from '../spi/capabilities.ts';
import type { Transport } from '../spi/transport.ts';
import { redactUrl } from '../redact.ts';
import { redrive, type RedriveOptions, type RedriveResult } from './redrive.ts';
import { resolveFactory } from './registry.ts';

const clientOptionsSchema = z
  .object({
    codec: z.custom<Codec>((v) => typeof (v as Codec | null)?.encode === 'function' && typeof (v as Codec).decode === 'function', 'must be a Codec { contentType, encode, decode }').optional(),
    /** Options for the adapter the URL selects (see docs/adapters/<name>.md). */
    transport: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type ClientOptions = z.input<typeof clientOptionsSchema>;

/** One connection to one broker: makes producers and consumers that share it. */
export class Client {
  private closed = false;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  /** One in-memory idempotency store for this client's consumers (duplicates across them are seen). */
  private readonly idempotencyStore = new MemoryIdempotencyStore();

  constructor(
    readonly transport: Transport,
    private readonly codec: Codec = jsonCodec,
  ) {}

  /** What the selected transport can do (ordering, replay, delay, priority, limits...). */
  get capabilities(): Capabilities {
    return this.transport.capabilities;
  }

  producer(): Producer {
    this.assertOpen();
    const producer = new Producer(this.transport, this.codec);
    this.producers.add(producer);
    return producer;
  }

  /** Validates `options` now: a bad option fails here, not at the first message. */
  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    const consumer = new Consumer(this.transport, this.codec, options, this.idempotencyStore);
    this.consumers.add(consumer);
    return consumer;
  }

  /** Moves dead letters back to their original topic. */
  async redrive(options: RedriveOptions): Promise<RedriveResult> {
    this.assertOpen();
    await this.transport.connect();
    return redrive(this.transport, options);
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

/**
 * `createClient('memory://')`, `createClient('kafka://127.0.0.1:9092')`,
 * `createClient('amqp://user:pass@host/vhost')`, `createClient('sqs://us-east-1?endpoint=...')`,
 * or `createClient(transportInstance)`. The adapter package for the scheme must be installed.
 */
export async function createClient(target: string | URL | Transport, options: ClientOptions = {}): Promise<Client> {
  const parsed = parseOptions(clientOptionsSchema, options, 'client');
  let transport: Transport;
  if (typeof target === 'string' || target instanceof URL) {
    let url: URL;
    try {
      url = new URL(String(target));
    } catch {
      throw new ConfigError('url', `${JSON.stringify(redactUrl(String(target)))} is not a URL`, 'Use e.g. memory://, kafka://host:9092, amqp://user:pass@host:5672/vhost or sqs://us-east-1.');
    }
    const factory = await resolveFactory(url);
    transport = factory(url, parsed.transport);
  } else {
    transport = target;
  }
  return new Client(transport, parsed.codec ?? jsonCodec);
}
