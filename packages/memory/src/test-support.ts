// Helpers for this package's unit tests (not exported from index.ts).
import { guardTransport, HEADERS, openSubscription, type Delivery, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import { createClient, type Client } from '@ferry/core';
import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import { MemoryTransport } from './transport.ts';

let brokers = 0;
/** A broker name of its own per test, so tests never see each other's topics. */
export function freshBroker(): string {
  return `test-${process.pid}-${++brokers}`;
}

export function message(topic: string, payload: string | Uint8Array, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: randomUUID(),
    type: 'test.message',
    topic,
    headers: {},
    payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    timestamp: Date.now(),
    ...extra,
  };
}

export function spec(topic: string, group: string, extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    topic,
    group,
    maxInFlight: 100,
    start: { from: 'stored' },
    deadLetterTopic: `${topic}.dlq`,
    handlerTimeoutMs: 60_000,
    orderedByKey: true,
    delivery: 'at-least-once',
    ...extra,
  };
}

/** Subscribes the way core does: through a DeliveryGate of `spec.maxInFlight` (bound, settle once, release at close). */
export function subscribe(transport: Transport, s: SubscriptionSpec, onDelivery: (delivery: Delivery) => void, onError?: (error: unknown) => void): Promise<Subscription> {
  return openSubscription(transport, s, onDelivery, onError);
}

export const text = (d: Delivery): string => new TextDecoder().decode(d.envelope.payload);

/** Resolves once `predicate` holds, polling; fails the test after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A memory transport as core uses it: guarded (closed and capability checks, subscriptions closed with it). */
export function transport(broker: string, options: ConstructorParameters<typeof MemoryTransport>[0] = {}): Transport {
  return guardTransport(new MemoryTransport({ broker, ...options }));
}

/** Transports opened through the returned function are closed after each test. */
export function transportsClosedAfterEach(): (broker: string, options?: ConstructorParameters<typeof MemoryTransport>[0]) => Transport {
  const opened: Transport[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });
  return (broker, options = {}) => {
    const t = transport(broker, options);
    opened.push(t);
    return t;
  };
}

/** Clients made through the returned function (on a memory transport of the given broker) are closed after each test. */
export function clientsClosedAfterEach(): (broker: string) => Promise<Client> {
  const made: Client[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((c) => c.close()));
  });
  return async (broker) => {
    const c = await createClient(new MemoryTransport({ broker }));
    made.push(c);
    return c;
  };
}

/**
 * Sends, past the SDK, ten readable JSON messages `{ n }` of `type` (ids `ok-0` to `ok-9`) and two
 * unreadable ones: `bad-schema` (n is a string) and `bad-bytes` (not JSON).
 */
export async function sendTenAndTwoUnreadable(broker: string, topic: string, type: string): Promise<void> {
  const raw = new MemoryTransport({ broker });
  const json = { headers: { [HEADERS.contentType]: 'application/json' }, type };
  await raw.send([
    ...Array.from({ length: 10 }, (_, n) => message(topic, JSON.stringify({ n }), { ...json, id: `ok-${n}` })),
    message(topic, JSON.stringify({ n: 'not a number' }), { ...json, id: 'bad-schema' }),
    message(topic, '{not json', { ...json, id: 'bad-bytes' }),
  ]);
  await raw.close();
}
