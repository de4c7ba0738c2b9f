/**
 * The three brokers as the migration tests use them: a URL and test-tuned adapter options each
 * (what `createClient(url, { transport })` and `ferry bridge --options` take), and the clean-up of
 * what a run declared.
 */
import { endpointsFromEnv } from '../harness/index.ts';
import { kafkaUrl, TEST_OPTIONS as KAFKA_TEST_OPTIONS } from '../kafka/helpers.ts';
import { cleanup as rabbitCleanup } from '../rabbitmq/helpers.ts';
import { cleanup as sqsCleanup } from '../sqs/helpers.ts';

export type Broker = 'kafka' | 'rabbitmq' | 'sqs';

export interface BrokerSetup {
  readonly url: string;
  readonly options: Record<string, unknown>;
}

/**
 * `ordered`: configured so that one key's messages reach a group in order (RabbitMQ: single
 * active consumer; SQS: FIFO queues for the run's topics). `prefix`: the run's topic prefix.
 */
export function setup(broker: Broker, settings: { ordered?: boolean; prefix: string }): BrokerSetup {
  const e = endpointsFromEnv();
  switch (broker) {
    case 'kafka':
      return { url: kafkaUrl().toString(), options: { ...KAFKA_TEST_OPTIONS, partitions: 8 } };
    case 'rabbitmq':
      return { url: e.amqp.url, options: settings.ordered ? { singleActiveConsumer: 'ordered' } : {} };
    case 'sqs':
      return {
        url: `sqs://${e.sqs.region}?endpoint=${encodeURIComponent(e.sqs.endpoint)}`,
        options: {
          credentials: { accessKeyId: e.sqs.accessKeyId, secretAccessKey: e.sqs.secretAccessKey },
          waitTimeSeconds: 1,
          // A killed bridge's messages come back after this; the broker-side dead letter must not
          // take a message that was only ever interrupted by kills.
          visibilityTimeoutSeconds: 5,
          maxReceiveCount: 1_000,
          ...(settings.ordered ? { fifoTopics: [`${settings.prefix}*`] } : {}),
        },
      };
  }
}

/** Deletes the queues and exchanges a run declared (Kafka topics stay: names are unique per run). */
export async function cleanup(broker: Broker, prefix: string): Promise<void> {
  if (broker === 'rabbitmq') await rabbitCleanup(prefix);
  if (broker === 'sqs') await sqsCleanup(prefix);
}
