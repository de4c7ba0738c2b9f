/** Shared by the Kafka integration tests: transports on the harness broker with test-tuned timings. */
import { guardTransport, type Delivery, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import { KafkaTransport, type KafkaOptions } from '@ferry/kafka';
import { endpointsFromEnv, spec as baseSpec, uniqueName } from '../harness/index.ts';

/** Group joins and rebalances take seconds with production timings; tests use short ones. */
export const TEST_OPTIONS: KafkaOptions = {
  clientId: 'ferry-tests',
  partitions: 4,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 200, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  retry: { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 1_000 },
  requestTimeoutMs: 5_000,
  logLevel: 'error',
  // FERRY_KAFKA_DRIVER=platformatic runs these tests on the second driver.
  ...(process.env['FERRY_KAFKA_DRIVER'] ? { driver: process.env['FERRY_KAFKA_DRIVER'] as 'kafkajs' | 'platformatic' } : {}),
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

/** A Kafka transport as core uses it: guarded (closed and capability checks; its subscriptions close with it). */
export function kafka(options: KafkaOptions = {}, url: URL = kafkaUrl()): Transport {
  return guardTransport(new KafkaTransport(url, { ...TEST_OPTIONS, ...options } as Record<string, unknown>));
}

export function topicName(prefix: string): string {
  return uniqueName(`kafka-${prefix}`);
}

/** SPI fixtures (integration/harness); Kafka's subscriptions keep per-key order by default. */
export { message, subscribe } from '../harness/index.ts';
export const spec = (topic: string, group: string, overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec => baseSpec(topic, group, { orderedByKey: true, ...overrides });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { waitFor } from '../harness/index.ts';

export const text = (d: Delivery) => new TextDecoder().decode(d.envelope.payload);
