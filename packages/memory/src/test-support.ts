// Helpers for this package's unit tests (not exported from index.ts).
import { guardTransport, openSubscription, type Delivery, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
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
