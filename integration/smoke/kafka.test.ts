/** Raw kafkajs against the harness's Kafka: one message, and one transaction read read_committed. */
import { Kafka, logLevel, Partitioners, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';

const kafka = new Kafka({
  clientId: uniqueName('smoke'),
  brokers: endpointsFromEnv().kafka.brokers,
  logLevel: logLevel.WARN,
});
const admin = kafka.admin();
const consumers: Consumer[] = [];

beforeAll(() => admin.connect());
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

async function createTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  return topic;
}

/** Consumes `topic` from the beginning in a fresh group until `until` holds for what arrived. */
async function consumeUntil(
  topic: string,
  until: (received: KafkaMessage[]) => boolean,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('smoke-group'), readUncommitted: false });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching messages on ${topic} within 60 s`)), 60_000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          received.push(message);
          if (until(received)) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.stop();
  return received;
}

describe('kafka smoke (raw kafkajs)', () => {
  it('produces and consumes one message with key, value and header intact', async () => {
    const topic = await createTopic('smoke-kafka');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'order-1', value: 'hello kafka', headers: { 'x-ferry': 'smoke' } }],
    });
    await producer.disconnect();

    const [message, ...others] = await consumeUntil(topic, (r) => r.length >= 1);
    expect(others).toEqual([]);
    expect(message?.key?.toString()).toBe('order-1');
    expect(message?.value?.toString()).toBe('hello kafka');
    expect(message?.headers?.['x-ferry']?.toString()).toBe('smoke');
  });

  it('commits a transaction that a read_committed consumer sees, and hides an aborted one', async () => {
    const topic = await createTopic('smoke-kafka-tx');
    const producer = kafka.producer({
      transactionalId: uniqueName('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'tx', value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'tx', value: 'committed' }] });
    await committed.commit();
    await producer.disconnect();

    // The aborted record precedes the committed one: had it been visible, it would arrive first.
    const received = await consumeUntil(topic, (r) => r.some((m) => m.value?.toString() === 'committed'));
    expect(received.map((m) => m.value?.toString())).toEqual(['committed']);
  });
});
