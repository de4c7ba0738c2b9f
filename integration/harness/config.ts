/** Fixed choices of the harness: versions, ports, credentials, deadlines. */

export const HOST = '127.0.0.1'; // never `localhost`: Node 20 may resolve it to ::1

/** The Kafka the harness runs when FERRY_KAFKA_VERSION does not choose another (3.9.x and 4.x work). */
export const DEFAULT_KAFKA_VERSION = '4.4.0';
/** Kafka version for the local process and the container image: FERRY_KAFKA_VERSION, e.g. `3.9.2`. */
export const KAFKA_VERSION = kafkaVersionSetting();
/** Client port (FERRY_KAFKA_PORT) and KRaft controller port (FERRY_KAFKA_CONTROLLER_PORT, default +1). */
export const KAFKA_PORT = portSetting('FERRY_KAFKA_PORT', 9092);
export const KAFKA_CONTROLLER_PORT = portSetting('FERRY_KAFKA_CONTROLLER_PORT', KAFKA_PORT + 1);
/** The SASL_SSL (SCRAM-SHA-512, harness CA) listener's port (FERRY_KAFKA_SASL_PORT, default the port + 2). */
export const KAFKA_SASL_PORT = portSetting('FERRY_KAFKA_SASL_PORT', KAFKA_PORT + 2);
// 512 MB ran out (OutOfMemoryError) after a day of test runs on one broker: every run creates
// hundreds of topics (retry, delay and dead-letter ones too) and the broker keeps them all.
export const KAFKA_HEAP = '-Xmx1g';

export const ELASTICMQ_VERSION = '1.7.1';
/** FERRY_ELASTICMQ_PORT: another ElasticMQ beside the shared one (the fault suite restarts its own). */
export const ELASTICMQ_PORT = portSetting('FERRY_ELASTICMQ_PORT', 9324);
/**
 * FERRY_ELASTICMQ_STORAGE=1 keeps queues and messages on disk (H2), so a killed ElasticMQ starts
 * again with its messages. Off by default: in memory is faster and the tests never restart it.
 */
export const ELASTICMQ_STORAGE = process.env.FERRY_ELASTICMQ_STORAGE === '1';
export const ELASTICMQ_HEAP = '-Xmx256m';

export const AMQP_LOCAL_URL = `amqp://guest:guest@${HOST}:5672`;
export const AMQP_PORT = 5672;

export const SQS_DEFAULT_REGION = 'us-east-1';
/** ElasticMQ accepts any credentials; real SQS endpoints take FERRY_SQS_ACCESS_KEY_ID/SECRET. */
export const SQS_DEFAULT_ACCESS_KEY_ID = 'ferry';
export const SQS_DEFAULT_SECRET_ACCESS_KEY = 'ferry';

/** Images for the testcontainers path. */
export const IMAGES = {
  kafka: `apache/kafka:${KAFKA_VERSION}`, // Apache's own image, KRaft
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

/** True when FERRY_KAFKA_VERSION asks for a version (rather than the harness default). */
export const KAFKA_VERSION_CHOSEN = !!process.env.FERRY_KAFKA_VERSION?.trim();

function kafkaVersionSetting(): string {
  const value = process.env.FERRY_KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 3 || (Number(match[1]) === 3 && Number(match[2]) < 7)) {
    throw new Error(`FERRY_KAFKA_VERSION must be a Kafka release from 3.7.0 on, e.g. 3.9.2 or ${DEFAULT_KAFKA_VERSION} (got "${value}")`);
  }
  return value;
}

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name} must be a TCP port (got "${raw}")`);
  return port;
}
