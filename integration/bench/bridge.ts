/**
 * The bridge against the raw clients at both of its ends, per direction, in one run.
 *
 *   pnpm exec tsx integration/bench/bridge.ts [messages=20000] [rounds=5] [direction ...]
 *   (directions: kafka-rabbitmq rabbitmq-sqs sqs-kafka; default all three)
 *
 * Per direction and round, in an order that rotates so drift favours no variant:
 *   - source raw consume: the source's own client reads `messages` (parse, acknowledge);
 *   - destination raw publish: the destination's own client publishes `messages`, hand-batched,
 *     each confirmed (kafkajs sendBatch by 1,000; amqplib a window of 1,000 confirms; SendMessageBatch
 *     by 10, 10 in flight);
 *   - bridge: core's bridge() copies `messages` from the source to the destination (its defaults:
 *     batches of 1,000, 4 in flight, 5,000 held, per-key order), from its first publish to the destination to the last confirm.
 * The source is filled by the SDK (64 keys) before each round and not timed. Medians, and the
 * bridge's ratio to the slower of its two ends (it cannot beat either).
 * Uses FERRY_KAFKA_BROKERS, FERRY_AMQP_URL, FERRY_SQS_ENDPOINT or the local defaults.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { bridge, createClient, defineMessage, type Client, type PublishMiddleware } from '@ferry/core';
import { rawClient, type Broker, type RawClient } from './bridge-raw.ts';
import { median } from './median.ts';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const asked = process.argv.slice(4);
const ALL: Array<[Broker, Broker]> = [
  ['kafka', 'rabbitmq'],
  ['rabbitmq', 'sqs'],
  ['sqs', 'kafka'],
];
const directions = asked.length > 0 ? ALL.filter(([a, b]) => asked.includes(`${a}-${b}`)) : ALL;

const endpoints = {
  kafka: (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  amqp: process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  sqs: {
    endpoint: process.env.FERRY_SQS_ENDPOINT ?? 'http://127.0.0.1:9324',
    region: process.env.FERRY_SQS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: process.env.FERRY_SQS_ACCESS_KEY_ID ?? 'ferry', secretAccessKey: process.env.FERRY_SQS_SECRET_ACCESS_KEY ?? 'ferry' },
  },
};
const run = randomUUID().slice(0, 8);
const Item = (topic: string) => defineMessage('bench.item', z.object({ n: z.number() }), { topic });

function sdk(broker: Broker, extra: Parameters<typeof createClient>[1] = {}): Promise<Client> {
  if (broker === 'kafka') return createClient(`kafka://${endpoints.kafka[0]}`, { ...extra, transport: { partitions: 8, clientId: 'bench-bridge' } });
  if (broker === 'rabbitmq') return createClient(endpoints.amqp, extra);
  return createClient(`sqs://${endpoints.sqs.region}?endpoint=${encodeURIComponent(endpoints.sqs.endpoint)}`, { ...extra, transport: { credentials: endpoints.sqs.credentials, waitTimeSeconds: 1 } });
}

/** Fills `topic` at the source with `count` messages over 64 keys (not timed). */
async function fill(client: Client, topic: string): Promise<void> {
  const producer = client.producer();
  const message = Item(topic);
  for (let n = 0; n < count; n += 1_000) {
    await producer.publishBatch(Array.from({ length: Math.min(1_000, count - n) }, (_, i) => ({ message, payload: { n: n + i }, options: { key: `k${(n + i) % 64}` } })));
  }
}

async function direction(from: Broker, to: Broker): Promise<void> {
  const [rawFrom, rawTo]: [RawClient, RawClient] = [await rawClient(from, endpoints), await rawClient(to, endpoints)];
  const results = { consume: [] as number[], publish: [] as number[], bridge: [] as number[] };
  const prefix = `bench-bridge-${run}-${from}-${to}`;
  let round = 0;
  const sourceConsume = async () => {
    const topic = `${prefix}-c${round}`;
    // On RabbitMQ the raw consumer reads a group queue: the producer declares it.
    const source = await sdk(from, { topics: { [topic]: { groups: ['raw'] } } });
    await fill(source, topic);
    await source.close();
    results.consume.push(await rawFrom.consume(topic, 'raw', count));
  };
  const destinationPublish = async () => {
    const topic = `${prefix}-p${round}`;
    // A queue broker keeps the messages for a declared group (RabbitMQ returns what no queue takes).
    const destination = await sdk(to, { topics: { [topic]: { groups: ['sink'] } } });
    await destination.producer().publish(Item(topic), { n: -1 });
    await destination.close();
    results.publish.push(await rawTo.publish(topic, count));
  };
  const bridged = async () => {
    const topic = `${prefix}-b${round}`;
    const source = await sdk(from, { topics: { [topic]: { groups: ['bridge'] } } });
    await fill(source, topic);
    let first = 0;
    let confirmed = 0;
    let done!: (ms: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    // Times the destination's publishes: from the first one to the confirm of the last message.
    const timing: PublishMiddleware = (next) => async (messages) => {
      if (first === 0) first = performance.now();
      await next(messages);
      confirmed += messages.length;
      if (confirmed >= count) done(performance.now() - first);
    };
    const destination = await sdk(to, { topics: { [topic]: { groups: ['sink'] } }, middleware: { publish: [timing] } });
    const running = await bridge({ from: source, to: destination, topics: [topic], group: 'bridge' });
    const ms = await finished;
    await running.stop();
    await Promise.all([source.close(), destination.close()]);
    results.bridge.push(Math.round((count / ms) * 1000));
  };
  const variants = [sourceConsume, destinationPublish, bridged];
  for (round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) await variants[(round + i) % variants.length]!();
  }
  const topics = Array.from({ length: rounds }, (_, r) => [`${prefix}-c${r}`, `${prefix}-p${r}`, `${prefix}-b${r}`]).flat();
  await Promise.all([rawFrom.remove(topics), rawTo.remove(topics)]);
  await Promise.all([rawFrom.close(), rawTo.close()]);
  const slower = Math.min(median(results.consume), median(results.publish));
  console.log(`${from} → ${to}, ${count} messages, ${rounds} rounds (median msg/s, then each round)`);
  console.log(`  ${`source raw consume (${from})`.padEnd(40)} ${String(median(results.consume)).padStart(8)}   [${results.consume.join(', ')}]`);
  console.log(`  ${`destination raw hand-batched publish (${to})`.padEnd(40)} ${String(median(results.publish)).padStart(8)}   [${results.publish.join(', ')}]`);
  console.log(`  ${'bridge'.padEnd(40)} ${String(median(results.bridge)).padStart(8)}   [${results.bridge.join(', ')}]`);
  console.log(`  bridge / source raw consume ${(median(results.bridge) / median(results.consume)).toFixed(2)}x, / destination raw publish ${(median(results.bridge) / median(results.publish)).toFixed(2)}x, / the slower end ${(median(results.bridge) / slower).toFixed(2)}x`);
}

for (const [from, to] of directions) await direction(from, to);
