/** One real request per broker: the broker is "up" only when it answers one. */
import { Kafka, logLevel } from 'kafkajs';
import amqp from 'amqplib';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { BrokerEndpoints } from './types.ts';

const PROBE_TIMEOUT_MS = 8_000;

/** Rejects with `what timed out` if `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kafka answers a metadata request (admin.listTopics) on every bootstrap address. */
export async function probeKafka(endpoint: BrokerEndpoints['kafka']): Promise<void> {
  const kafka = new Kafka({
    clientId: 'ferry-harness-probe',
    brokers: endpoint.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 4_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const run = async () => {
    await admin.connect();
    await admin.listTopics();
  };
  try {
    await withTimeout(run(), PROBE_TIMEOUT_MS, 'Kafka metadata request');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** RabbitMQ accepts a connection and declares a temporary (server-named, exclusive) queue. */
export async function probeAmqp(endpoint: BrokerEndpoints['amqp']): Promise<void> {
  let connection: amqp.ChannelModel | undefined;
  const run = async () => {
    connection = await amqp.connect(endpoint.url, { timeout: 3_000 });
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    await channel.assertQueue('', { exclusive: true, autoDelete: true });
  };
  try {
    await withTimeout(run(), PROBE_TIMEOUT_MS, 'AMQP connect + assertQueue');
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The SQS endpoint answers ListQueues. */
export async function probeSqs(endpoint: BrokerEndpoints['sqs']): Promise<void> {
  const client = new SQSClient({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 },
  });
  try {
    await withTimeout(client.send(new ListQueuesCommand({})), PROBE_TIMEOUT_MS, 'SQS ListQueues');
  } finally {
    client.destroy();
  }
}

/** True if the probe succeeds now (no waiting). */
export async function answers(probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    return false;
  }
}
