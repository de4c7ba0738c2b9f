/** The three brokers as the observability tests reach them: through createClient(url), with test-tuned adapter options. */
import { uniqueName } from '../harness/index.ts';
import { cleanup as rabbitCleanup, amqpUrl } from '../rabbitmq/helpers.ts';
import { kafkaUrl, TEST_OPTIONS as KAFKA_OPTIONS } from '../kafka/helpers.ts';
import { cleanup as sqsCleanup, sqsEndpoint, sqsUrl } from '../sqs/helpers.ts';

export interface Broker {
  readonly name: 'kafka' | 'rabbitmq' | 'sqs';
  /** `messaging.system` of its spans. */
  readonly system: string;
  readonly url: string;
  /** Adapter options (`createClient(url, { transport })`). */
  readonly transport: Record<string, unknown>;
  /** How long a redrive waits for the first dead letter (a Kafka group join takes seconds). */
  readonly redriveIdleMs: number;
  /** Deletes what the tests declared under `prefix`. */
  cleanup(prefix: string): Promise<void>;
}

export const BROKERS: readonly Broker[] = [
  { name: 'kafka', system: 'kafka', url: kafkaUrl().toString(), transport: { ...KAFKA_OPTIONS, partitions: 2 }, redriveIdleMs: 8_000, cleanup: async () => undefined },
  { name: 'rabbitmq', system: 'rabbitmq', url: amqpUrl(), transport: {}, redriveIdleMs: 1_500, cleanup: (prefix) => rabbitCleanup(prefix) },
  {
    name: 'sqs',
    system: 'aws_sqs',
    url: sqsUrl(),
    transport: { credentials: { accessKeyId: sqsEndpoint().accessKeyId, secretAccessKey: sqsEndpoint().secretAccessKey }, waitTimeSeconds: 1 },
    redriveIdleMs: 2_500,
    cleanup: (prefix) => sqsCleanup(prefix),
  },
];

/** A prefix of this run for `broker`: its topics start with it, and cleanup takes it. */
export function runPrefix(broker: Broker): string {
  return uniqueName(`otel-${broker.name}`);
}

export { waitFor } from '../harness/index.ts';
