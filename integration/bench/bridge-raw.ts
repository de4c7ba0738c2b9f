/**
 * The raw clients the bridge benchmark compares with, one per broker: a plain consume loop at the
 * source (receive, parse, acknowledge) and a hand-batched publish at the destination (the envelope
 * as headers, every message confirmed). Each returns msg/s from its first message to its last.
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import amqp from 'amqplib';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createSqsClient, encode, SqsTransport } from '@ferry/sqs';
import { kafkaRawConsume, rabbitWindowPublish } from './raw-loops.ts';

export type Broker = 'kafka' | 'rabbitmq' | 'sqs';

export interface RawClient {
  /** Reads `count` messages of `topic` (Kafka: a new group; RabbitMQ: the queue of `group`; SQS: the topic's queue) and acknowledges them. */
  consume(topic: string, group: string, count: number): Promise<number>;
  /** Publishes `count` messages to `topic`, hand-batched, each confirmed. */
  publish(topic: string, count: number): Promise<number>;
  /** Deletes what the benchmark made for these topics (queues, exchanges, topics, dead-letter queues). */
  remove(topics: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const body = (n: number) => Buffer.from(JSON.stringify({ n }));

/** Runs `total` jobs with `width` in flight. */
async function inFlight(total: number, width: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, total) }, async () => { while (next < total) await job(next++); }));
}

export async function rawClient(broker: Broker, endpoints: { kafka: string[]; amqp: string; sqs: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } }): Promise<RawClient> {
  if (broker === 'kafka') return kafkaRaw(endpoints.kafka);
  if (broker === 'rabbitmq') return rabbitRaw(endpoints.amqp);
  return sqsRaw(endpoints.sqs);
}

async function kafkaRaw(brokers: string[]): Promise<RawClient> {
  const kafka = new Kafka({ clientId: 'bench-bridge-raw', brokers, logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    consume: (topic, _group, count) => kafkaRawConsume(kafka, topic, `bench-raw-${randomUUID().slice(0, 6)}`, count, 8),
    async publish(topic, count) {
      await producer.send({ topic, acks: -1, messages: [{ value: body(-1) }] }); // topic and metadata warm
      const t0 = performance.now();
      for (let n = 0; n < count; n += 1000) {
        const messages = Array.from({ length: Math.min(1000, count - n) }, (_, i) => ({
          key: `k${(n + i) % 64}`,
          value: body(n + i),
          headers: { 'ferry-id': randomUUID(), 'ferry-type': 'bench.item', 'ferry-content-type': 'application/json' },
        }));
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
      }
      return rate(count, performance.now() - t0);
    },
    async remove(topics) {
      const admin = kafka.admin();
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const mine = existing.size === 0 ? [] : [...existing].filter((t) => topics.some((p) => t === p || t.startsWith(`${p}.`)));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
    },
    close: () => producer.disconnect(),
  };
}

async function rabbitRaw(url: string): Promise<RawClient> {
  const connection = await amqp.connect(url);
  const confirm = await connection.createConfirmChannel();
  return {
    async consume(topic, group, count) {
      const channel = await connection.createChannel();
      await channel.prefetch(2_000);
      let got = 0;
      let first = 0;
      const ms = await new Promise<number>((resolve) => {
        void channel.consume(`${topic}.${group}`, (msg) => {
          if (!msg) return;
          JSON.parse(msg.content.toString('utf8'));
          channel.ack(msg);
          if (got++ === 0) first = performance.now();
          if (got === count) resolve(performance.now() - first);
        });
      });
      await channel.close();
      return rate(count, ms);
    },
    // A pipelined window of 1,000 unconfirmed messages, a confirm callback each (rabbitmq.ts's raw baseline).
    publish: (topic, count) =>
      rabbitWindowPublish(confirm, count, 1_000, (n, cb) =>
        confirm.publish(topic, 'bench.item', body(n), { persistent: true, mandatory: true, messageId: randomUUID(), type: 'bench.item', contentType: 'application/json', headers: { 'x-ferry-key': `k${n % 64}` } }, cb),
      ),
    async remove(topics) {
      for (const topic of topics) {
        for (const queue of ['raw', 'bridge', 'sink', 'dlq.ferry-dead-letters'].map((q) => `${topic}.${q}`)) {
          const ch = await connection.createChannel();
          ch.on('error', () => undefined);
          await ch.deleteQueue(queue).catch(() => undefined);
          await ch.close().catch(() => undefined);
        }
        for (const exchange of [topic, `${topic}.dlq`]) {
          const ch = await connection.createChannel();
          ch.on('error', () => undefined);
          await ch.deleteExchange(exchange).catch(() => undefined);
          await ch.close().catch(() => undefined);
        }
      }
    },
    close: () => connection.close(),
  };
}

async function sqsRaw(e: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }): Promise<RawClient> {
  // The adapter's queue names and HTTP tuning, so only the client work differs.
  const transport = new SqsTransport(new URL(`sqs://${e.region}?endpoint=${encodeURIComponent(e.endpoint)}`), { credentials: e.credentials });
  const raw: SQSClient = createSqsClient(transport.config);
  return {
    async consume(topic, _group, count) {
      const QueueUrl = (await transport.queueOf(topic)).url;
      let got = 0;
      let first = 0;
      const deletes: Promise<unknown>[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (got < count) {
            const { Messages = [] } = await raw.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
            if (Messages.length === 0) continue;
            if (got === 0) first = performance.now();
            for (const m of Messages) JSON.parse(m.Body!);
            got += Messages.length;
            deletes.push(raw.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })));
          }
        }),
      );
      await Promise.all(deletes);
      return rate(count, performance.now() - first);
    },
    async publish(topic, count) {
      const QueueUrl = (await transport.queueOf(topic)).url;
      const t0 = performance.now();
      // By 10, 10 batches in flight, each entry carrying the envelope as the adapter packs it.
      await inFlight(Math.ceil(count / 10), 10, async (b) => {
        const Entries = Array.from({ length: Math.min(10, count - b * 10) }, (_, i) => {
          const n = b * 10 + i;
          const { body: MessageBody, attributes } = encode({ id: randomUUID(), type: 'bench.item', topic, key: `k${n % 64}`, headers: { 'ferry-content-type': 'application/json' }, payload: body(n), timestamp: Date.now() });
          return { Id: String(i), MessageBody, MessageAttributes: attributes };
        });
        const { Failed = [] } = await raw.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
        if (Failed.length > 0) throw new Error(`batch entries failed: ${JSON.stringify(Failed)}`);
      });
      return rate(count, performance.now() - t0);
    },
    async remove(topics) {
      for (const topic of topics.flatMap((t) => [t, `${t}.dlq`])) {
        const url = await raw.send(new GetQueueUrlCommand({ QueueName: transport.queueNameOf(topic) })).then((r) => r.QueueUrl, () => undefined);
        if (url) await raw.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
    },
    close: async () => {
      raw.destroy();
      await transport.close();
    },
  };
}
