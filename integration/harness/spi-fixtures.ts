import { openSubscription, type Delivery, type OutgoingMessage, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';

// SPI-level fixtures for adapter tests that drive a transport directly (below core's API).

/**
 * Subscribes the way core does: on the guarded transport, through a DeliveryGate of
 * `spec.maxInFlight` (the in-flight bound, settle once, release of what is held at close).
 */
export function subscribe(transport: Transport, s: SubscriptionSpec, onDelivery: (delivery: Delivery) => void): Promise<Subscription> {
  return openSubscription(transport, s, onDelivery);
}

let seq = 0;

/** A raw outgoing message as core would build it, unique id and payload. */
export function message(topic: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  seq += 1;
  return {
    id: `m-${seq}-${Math.random().toString(36).slice(2, 8)}`,
    type: 'test.event',
    topic,
    headers: {},
    payload: new TextEncoder().encode(`payload-${seq}`),
    timestamp: Date.now(),
    ...overrides,
  };
}

/** A subscription spec with test-friendly defaults (10 in flight, at-least-once, from stored). */
export function spec(topic: string, group: string, overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    topic,
    group,
    maxInFlight: 10,
    start: { from: 'stored' },
    deadLetterTopic: `${topic}.dlq`,
    handlerTimeoutMs: 30_000,
    orderedByKey: false,
    delivery: 'at-least-once',
    ...overrides,
  };
}
