/** Shared by the Kafka integration tests: transports on the harness broker with test-tuned timings. */
import type { Delivery, OutgoingMessage, SubscriptionSpec } from '@ferry/core';
import { KafkaTransport, type KafkaOptions } from '@ferry/kafka';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';

/** Group joins and rebalances take seconds with production timings; tests use short ones. */
export const TEST_OPTIONS: KafkaOptions = {
  clientId: 'ferry-tests',
  partitions: 4,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 200, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  retry: { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 1_000 },
  requestTimeoutMs: 5_000,
  logLevel: 'error',
};

export function brokers(): string[] {
  return endpointsFromEnv().kafka.brokers;
}

export function kafkaUrl(): URL {
  const [first, ...rest] = brokers();
  const url = new URL(`kafka://${first}`);
  if (rest.length > 0) url.searchParams.set('brokers', rest.join(','));
  return url;
}

export function kafka(options: KafkaOptions = {}, url: URL = kafkaUrl()): KafkaTransport {
  return new KafkaTransport(url, { ...TEST_OPTIONS, ...options } as Record<string, unknown>);
}

export function topicName(prefix: string): string {
  return uniqueName(`kafka-${prefix}`);
}

let seq = 0;
/** A raw outgoing message (the SPI level, as core would build it). */
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

export function spec(topic: string, group: string, overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    topic,
    group,
    maxInFlight: 10,
    start: { from: 'stored' },
    deadLetterTopic: `${topic}.dlq`,
    handlerTimeoutMs: 30_000,
    orderedByKey: true,
    delivery: 'at-least-once',
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what()}`);
    await sleep(20);
  }
}

export const text = (d: Delivery) => new TextDecoder().decode(d.envelope.payload);
