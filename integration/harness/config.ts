/** Fixed choices of the harness: versions, ports, credentials, deadlines. */

export const HOST = '127.0.0.1'; // never `localhost`: Node 20 may resolve it to ::1

export const KAFKA_VERSION = '3.9.2';
export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
// 512 MB ran out (OutOfMemoryError) after a day of test runs on one broker: every run creates
// hundreds of topics (retry, delay and dead-letter ones too) and the broker keeps them all.
export const KAFKA_HEAP = '-Xmx1g';

export const ELASTICMQ_VERSION = '1.7.1';
export const ELASTICMQ_PORT = 9324;
export const ELASTICMQ_HEAP = '-Xmx256m';

export const AMQP_LOCAL_URL = `amqp://guest:guest@${HOST}:5672`;
export const AMQP_PORT = 5672;

export const SQS_DEFAULT_REGION = 'us-east-1';
/** ElasticMQ accepts any credentials; real SQS endpoints take FERRY_SQS_ACCESS_KEY_ID/SECRET. */
export const SQS_DEFAULT_ACCESS_KEY_ID = 'ferry';
export const SQS_DEFAULT_SECRET_ACCESS_KEY = 'ferry';

/** Images for the testcontainers path. */
export const IMAGES = {
  kafka: 'confluentinc/cp-kafka:7.9.0', // Kafka 3.9, KRaft
  rabbitmq: 'rabbitmq:3.13-management-alpine',
  sqs: `softwaremill/elasticmq-native:${ELASTICMQ_VERSION}`,
} as const;

/** How long a broker may take to answer a real request after start. */
export const READY_DEADLINE_MS = Number(process.env.FERRY_BROKER_DEADLINE_MS ?? 120_000);
/** How long `getContainerRuntimeClient()` may take before we decide there is no runtime. */
export const CONTAINER_PROBE_TIMEOUT_MS = 5_000;
/** How long to wait for another process holding a broker's start lock. */
export const LOCK_WAIT_MS = READY_DEADLINE_MS + 60_000;

/**
 * FERRY_BROKERS_SOURCE forces a source when no env endpoint is set:
 * `auto` (default: containers if a runtime answers, else local), `containers` or `local`.
 */
export type SourcePreference = 'auto' | 'containers' | 'local';

export function sourcePreference(): SourcePreference {
  const value = (process.env.FERRY_BROKERS_SOURCE ?? 'auto').trim().toLowerCase();
  if (value === 'auto' || value === 'containers' || value === 'local') return value;
  throw new Error(`FERRY_BROKERS_SOURCE must be auto, containers or local (got "${value}")`);
}
