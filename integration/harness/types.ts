/** The three brokers the harness knows about. */
export type BrokerName = 'kafka' | 'rabbitmq' | 'sqs';

export const ALL_BROKERS: readonly BrokerName[] = ['kafka', 'rabbitmq', 'sqs'];

/** Where the tests reach each broker. */
export interface BrokerEndpoints {
  kafka: { brokers: string[] };
  amqp: { url: string };
  sqs: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
}

/** How a broker was obtained for this run. */
export type BrokerSource = 'env' | 'container' | 'local-started' | 'local-reused';

/** What ensuring one broker did and how long it took. */
export interface BrokerReport {
  broker: BrokerName;
  source: BrokerSource;
  /** Human-readable address (bootstrap list, URL or endpoint). */
  address: string;
  /** Time spent fetching the broker's jars (0 when cached or not applicable). */
  provisionMs: number;
  /** Time from starting (or finding) the broker until it answered a real request. */
  startMs: number;
  /** Log file of a locally started process, if any. */
  logFile?: string;
  /** Kafka: the version that answers (exact, or the line its protocol tells), when known. */
  version?: string;
  /** Kafka: the version asked for, set only when the one answering is another. */
  versionAsked?: string;
}

export interface ProvisionResult {
  endpoints: BrokerEndpoints;
  reports: BrokerReport[];
}

export function isBrokerName(value: string): value is BrokerName {
  return (ALL_BROKERS as readonly string[]).includes(value);
}
