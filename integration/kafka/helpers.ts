/** Shared by the Kafka integration tests: transports on the harness broker with test-tuned timings. */
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
