/** Shared by the RabbitMQ integration tests: transports on the harness broker, cleanup, collectors. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import type { Delivery, Subscription, SubscriptionSpec, Transport } from '@ferry/core/spi';
import { RabbitMqTransport, type RabbitMqOptions } from '@ferry/rabbitmq';
import { endpointsFromEnv, subscribe, uniqueName } from '../harness/index.ts';

const run = promisify(execFile);

export function amqpUrl(): string {
  return endpointsFromEnv().amqp.url;
}

export function rabbit(options: RabbitMqOptions = {}, url: string = amqpUrl()): RabbitMqTransport {
  return new RabbitMqTransport(new URL(url), options as Record<string, unknown>);
}

/** A topic name unique to this run; everything the adapter declares for it starts with it. */
export function topicName(prefix: string): string {
  return uniqueName(`rmq-${prefix}`);
}

let ctl: Promise<boolean> | undefined;
/**
 * Whether `rabbitmqctl` here controls the broker the tests use (the machine's own RabbitMQ).
 * Not with a container or a remote broker: tests that need it say so and skip.
 */
export function hasLocalCtl(): Promise<boolean> {
  ctl ??= (async () => {
    const host = new URL(amqpUrl()).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return false;
    try {
      await run('rabbitmqctl', ['-q', 'status'], { timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  })();
  return ctl;
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  return (await run('rabbitmqctl', ['-q', ...args], { maxBuffer: 64 << 20 })).stdout;
}

/** Deletes every queue and exchange whose name starts with one of the prefixes (needs rabbitmqctl to list them). */
export async function cleanup(...prefixes: string[]): Promise<void> {
  if (!(await hasLocalCtl())) return; // a container broker goes away with its container
  const list = async (what: string) =>
    (await run('rabbitmqctl', ['-q', what, 'name', '--no-table-headers'], { maxBuffer: 64 << 20 })).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((n) => prefixes.some((p) => n.startsWith(p)));
  const [queues, exchanges] = await Promise.all([list('list_queues'), list('list_exchanges')]);
  const connection = await amqp.connect(amqpUrl());
  try {
    for (const q of queues) {
      const ch = await connection.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const e of exchanges) {
      const ch = await connection.createChannel();
      await ch.deleteExchange(e).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}

export { message, spec, subscribe, waitFor } from '../harness/index.ts';

/** Collects deliveries; optionally settles them itself. */
export class Collector {
  readonly deliveries: Delivery[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  subscription: Subscription | undefined;

  constructor(private readonly settle: 'ack' | 'none' = 'ack') {}

  readonly onDelivery = (d: Delivery): void => {
    this.deliveries.push(d);
    if (this.settle === 'ack') void d.ack();
    this.waiters = this.waiters.filter((w) => {
      if (this.deliveries.length >= w.n) w.resolve();
      return this.deliveries.length < w.n;
    });
  };

  async start(transport: Transport, s: SubscriptionSpec): Promise<this> {
    this.subscription = await subscribe(transport, s, this.onDelivery);
    return this;
  }

  /** Resolves when `n` deliveries arrived; rejects after `ms`. */
  waitFor(n: number, ms = 20_000): Promise<void> {
    if (this.deliveries.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${n} deliveries, got ${this.deliveries.length} in ${ms} ms`)), ms);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  texts(): string[] {
    return this.deliveries.map((d) => new TextDecoder().decode(d.envelope.payload));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A vhost of the test file's own (made before its tests, deleted after), so closing "all
 * connections" of it closes only this file's. `available` is false without rabbitmqctl for the
 * broker under test; `url(port)` is the broker's URL on the vhost (through a proxy's port).
 */
export function useOwnVhost(prefix: string): { readonly available: boolean; readonly name: string; url(port?: number): string } {
  const name = uniqueName(prefix);
  let available = false;
  beforeAll(async () => {
    available = await hasLocalCtl();
    if (!available) return;
    await rabbitmqctl('add_vhost', name);
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  });
  afterAll(async () => {
    if (available) await rabbitmqctl('delete_vhost', name);
  });
  return {
    name,
    get available() {
      return available;
    },
    url(port?: number) {
      const url = new URL(amqpUrl());
      if (available) url.pathname = `/${encodeURIComponent(name)}`;
      if (port) url.port = String(port);
      return url.toString();
    },
  };
}
