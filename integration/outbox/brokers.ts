/**
 * The broker URLs of the outbox tests: one for the `ferry relay` child (the CLI takes a URL, as an
 * operator would give it) and the same transport, with test-tuned options, for the consumer.
 */
import { createClient, type Client } from '@ferry/core';
import { endpointsFromEnv } from '../harness/index.ts';

export type OutboxBroker = 'kafka' | 'rabbitmq' | 'sqs';

/** The URL `ferry relay` is given. */
export function brokerUrl(broker: OutboxBroker): string {
  const { kafka, amqp, sqs } = endpointsFromEnv();
  if (broker === 'kafka') {
    const [first, ...rest] = kafka.brokers;
    return `kafka://${first}${rest.length > 0 ? `?brokers=${rest.join(',')}` : ''}`;
  }
  if (broker === 'rabbitmq') return amqp.url;
  const credentials = `${encodeURIComponent(sqs.accessKeyId)}:${encodeURIComponent(sqs.secretAccessKey)}@`;
  return `sqs://${credentials}${sqs.region}?endpoint=${encodeURIComponent(sqs.endpoint)}`;
}

/**
 * The consumer's client. Kafka: the topic is created by the consumer first, with 16 partitions so
 * the consumer's per-partition transactions run side by side; SQS: short long polls.
 */
export function consumerClient(broker: OutboxBroker): Promise<Client> {
  const transport: Record<OutboxBroker, Record<string, unknown>> = {
    kafka: { partitions: 16, consumer: { maxWaitTimeMs: 100 } },
    rabbitmq: {},
    sqs: { waitTimeSeconds: 1 },
  };
  return createClient(brokerUrl(broker), { transport: transport[broker] });
}
