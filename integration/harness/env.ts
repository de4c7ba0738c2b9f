import {
  SQS_DEFAULT_ACCESS_KEY_ID,
  SQS_DEFAULT_REGION,
  SQS_DEFAULT_SECRET_ACCESS_KEY,
} from './config.ts';
import type { BrokerEndpoints, BrokerName } from './types.ts';

/** Environment variables that carry the endpoints (read by tests, written by global-setup). */
export const ENV = {
  kafka: 'FERRY_KAFKA_BROKERS', // comma list of host:port
  amqp: 'FERRY_AMQP_URL',
  sqsEndpoint: 'FERRY_SQS_ENDPOINT',
  sqsRegion: 'FERRY_SQS_REGION', // default us-east-1
  sqsAccessKeyId: 'FERRY_SQS_ACCESS_KEY_ID', // optional
  sqsSecretAccessKey: 'FERRY_SQS_SECRET_ACCESS_KEY', // optional
} as const;

function read(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

export function kafkaFromEnv(): BrokerEndpoints['kafka'] | undefined {
  const list = read(ENV.kafka);
  if (!list) return undefined;
  const brokers = list.split(',').map((b) => b.trim()).filter(Boolean);
  return brokers.length > 0 ? { brokers } : undefined;
}

export function amqpFromEnv(): BrokerEndpoints['amqp'] | undefined {
  const url = read(ENV.amqp);
  return url ? { url } : undefined;
}

export function sqsFromEnv(): BrokerEndpoints['sqs'] | undefined {
  const endpoint = read(ENV.sqsEndpoint);
  if (!endpoint) return undefined;
  return sqsEndpoint(endpoint, {
    region: read(ENV.sqsRegion),
    accessKeyId: read(ENV.sqsAccessKeyId),
    secretAccessKey: read(ENV.sqsSecretAccessKey),
  });
}

/** SQS endpoint with the harness defaults for region and (dummy) credentials. */
export function sqsEndpoint(
  endpoint: string,
  opts: { region?: string | undefined; accessKeyId?: string | undefined; secretAccessKey?: string | undefined } = {},
): BrokerEndpoints['sqs'] {
  return {
    endpoint,
    region: opts.region ?? SQS_DEFAULT_REGION,
    accessKeyId: opts.accessKeyId ?? SQS_DEFAULT_ACCESS_KEY_ID,
    secretAccessKey: opts.secretAccessKey ?? SQS_DEFAULT_SECRET_ACCESS_KEY,
  };
}

/** The env endpoint of one broker, if set. */
export function brokerFromEnv(broker: BrokerName): string | undefined {
  switch (broker) {
    case 'kafka':
      return kafkaFromEnv()?.brokers.join(',');
    case 'rabbitmq':
      return amqpFromEnv()?.url;
    case 'sqs':
      return sqsFromEnv()?.endpoint;
  }
}

/** A URL fit for logs: any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

function missing(name: string): never {
  throw new Error(
    `${name} is not set. Run the tests through the vitest "integration" project (its globalSetup ` +
      `starts or finds the brokers and sets it), or set it yourself (see docs/testing.md).`,
  );
}

/**
 * Endpoints from FERRY_* env vars, as global-setup leaves them for test workers.
 * Each part is read lazily: a test that only uses Kafka does not need FERRY_AMQP_URL.
 */
export function endpointsFromEnv(): BrokerEndpoints {
  return {
    get kafka() {
      return kafkaFromEnv() ?? missing(ENV.kafka);
    },
    get amqp() {
      return amqpFromEnv() ?? missing(ENV.amqp);
    },
    get sqs() {
      return sqsFromEnv() ?? missing(ENV.sqsEndpoint);
    },
  };
}

/** The env vars that describe `endpoints` (for process.env or a child's env). */
export function endpointsToEnv(endpoints: Partial<BrokerEndpoints>): Record<string, string> {
  const env: Record<string, string> = {};
  if (endpoints.kafka) env[ENV.kafka] = endpoints.kafka.brokers.join(',');
  if (endpoints.amqp) env[ENV.amqp] = endpoints.amqp.url;
  if (endpoints.sqs) {
    env[ENV.sqsEndpoint] = endpoints.sqs.endpoint;
    env[ENV.sqsRegion] = endpoints.sqs.region;
    env[ENV.sqsAccessKeyId] = endpoints.sqs.accessKeyId;
    env[ENV.sqsSecretAccessKey] = endpoints.sqs.secretAccessKey;
  }
  return env;
}
