/**
 * Kafka: the SDK against raw kafkajs on the same broker, in one run.
 *
 *   pnpm exec tsx integration/bench/kafka.ts [messages=50000] [callers=1000] [rounds=3] [consumeCount=200000]
 *
 * Publish (acks=all, idempotent producer, JSON payload with the SDK's envelope headers):
 *   - SDK: producer.publish() per message from `callers` concurrent callers (the adapter coalesces them)
 *   - raw kafkajs: producer.send() per message from `callers` concurrent callers (the naive way; a smaller
 *     sample; a non-idempotent producer, see below)
 *   - raw kafkajs: producer.sendBatch() hand-batched, 1000 messages a call, one call in flight
 * Consume (one topic filled once by the SDK producer with `consumeCount` messages; every consumer
 * reads it whole in a group of its own, from the first message handled to the last):
 *   - SDK: consumer.handle() with JSON decode + schema validation, at-least-once, concurrency 64, prefetch 4096,
 *     once as configured by default (offsets committed in the background, every 5 ms) and once with
 *     consumer.ackAwaitsCommit: true (each ack waits for its commit, as at-most-once consumers do)
 *   - raw kafkajs: eachBatch + JSON.parse per message, offsets resolved and committed per batch
 *     (the baseline for the target)
 *   - raw kafkajs, same work: eachBatch + what the SDK does per message that an application would
 *     write by hand too (UTF-8 check + JSON.parse, the zod schema, an awaited async handler, up
 *     to 64 at once); for reading how much of the gap is the SDK and how much is the work
 * Uses FERRY_KAFKA_BROKERS or 127.0.0.1:9092; FERRY_BENCH_ENVELOPE=headers for the older envelope headers
 * (SDK and raw producers alike; default compact, the transport's default).
 * FERRY_KAFKA_DRIVERS=kafkajs,platformatic adds the SDK on its second driver (@platformatic/kafka)
 * to the publish and consume rounds, alternating with the rest (default: kafkajs only).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { z } from 'zod';
import { createClient, defineMessage } from '@ferry/core';
import { KafkaTransport } from '@ferry/kafka';
import { kafkaRawConsume, kafkaRawSameWork } from './raw-loops.ts';
import { median } from './median.ts';

const brokers = (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const count = Number(process.argv[2] ?? 50_000);
const callers = Number(process.argv[3] ?? 1_000);
const rounds = Number(process.argv[4] ?? 3);
// Large enough that a run takes long against fetch latency and batch granularity (50,000 took ~0.1 s raw).
const consumeCount = Number(process.argv[5] ?? 200_000);
const naiveCount = Math.min(count, 10_000);
const withPlatformatic = (process.env.FERRY_KAFKA_DRIVERS ?? 'kafkajs').split(',').includes('platformatic');
const PARTITIONS = 6;

const run = randomUUID().slice(0, 8);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const body = (n: number) => Buffer.from(JSON.stringify({ n, sentAt: Date.now() }));
// The SDK's envelope form (FERRY_BENCH_ENVELOPE, default compact); the raw producers write the same headers, so both encode as much.
const envelope = (process.env.FERRY_BENCH_ENVELOPE ?? 'compact') as 'compact' | 'headers';
const headers = (): Record<string, string> => {
  const id = randomUUID();
  return envelope === 'compact' ? { 'ferry-envelope': `1,36,10,16;${id}bench.tickapplication/json` } : { 'ferry-id': id, 'ferry-type': 'bench.tick', 'ferry-content-type': 'application/json' };
};

/** Runs `total` tasks from `width` concurrent callers. */
async function callersRun(total: number, width: number, task: (n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, total) }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

async function main(): Promise<void> {
  const url = new URL(`kafka://${brokers[0]}`);
  if (brokers.length > 1) url.searchParams.set('brokers', brokers.slice(1).join(','));
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const newTopic = async (name: string) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: PARTITIONS }] });
    return name;
  };
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await raw.connect();
  // kafkajs's idempotent producer can fail 1000 concurrent send() calls with
  // OUT_OF_ORDER_SEQUENCE_NUMBER; the naive baseline uses a plain producer (acks=all all the same).
  const naive = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await naive.connect();
  const client = await createClient(new KafkaTransport(url, { partitions: PARTITIONS, clientId: 'bench-sdk', envelope }));
  const producer = client.producer();
  const second = withPlatformatic ? await createClient(new KafkaTransport(url, { partitions: PARTITIONS, clientId: 'bench-sdk-plt', driver: 'platformatic', envelope })) : undefined;
  // The same, with every ack waiting for its offset commit (what at-most-once consumers get).
  const awaited = await createClient(new KafkaTransport(url, { partitions: PARTITIONS, clientId: 'bench-sdk-awaited', consumer: { ackAwaitsCommit: true } }));

  // --- publish ---------------------------------------------------------------------------
  const sdkPublish = async (publisher = producer) => {
    const topic = await newTopic(`bench-kafka-${run}-sdk-${randomUUID().slice(0, 6)}`);
    const Tick = defineMessage('bench.tick', z.object({ n: z.number(), sentAt: z.number() }), { topic });
    await publisher.publish(Tick, { n: -1, sentAt: Date.now() }); // metadata and topic warm
    const t0 = performance.now();
    await callersRun(count, callers, (n) => publisher.publish(Tick, { n, sentAt: Date.now() }));
    return rate(count, performance.now() - t0);
  };
  const rawSend = async () => {
    const topic = await newTopic(`bench-kafka-${run}-send-${randomUUID().slice(0, 6)}`);
    await naive.send({ topic, acks: -1, messages: [{ value: body(-1) }] });
    const t0 = performance.now();
    await callersRun(naiveCount, callers, (n) => naive.send({ topic, acks: -1, messages: [{ value: body(n), headers: headers() }] }));
    return rate(naiveCount, performance.now() - t0);
  };
  const rawBatch = async () => {
    const topic = await newTopic(`bench-kafka-${run}-batch-${randomUUID().slice(0, 6)}`);
    await raw.send({ topic, acks: -1, messages: [{ value: body(-1) }] });
    const t0 = performance.now();
    for (let n = 0; n < count; n += 1000) {
      const messages = Array.from({ length: Math.min(1000, count - n) }, (_, i) => ({ value: body(n + i), headers: headers() }));
      await raw.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    }
    return rate(count, performance.now() - t0);
  };

  const publish = { sdk: [] as number[], send: [] as number[], batch: [] as number[], platformatic: [] as number[] };
  const secondProducer = second?.producer();
  for (let r = 0; r < rounds; r++) {
    publish.batch.push(await rawBatch());
    publish.sdk.push(await sdkPublish());
    if (secondProducer) publish.platformatic.push(await sdkPublish(secondProducer));
    publish.send.push(await rawSend());
  }

  // --- consume ---------------------------------------------------------------------------
  const consumeTopic = await newTopic(`bench-kafka-${run}-consume`);
  const ConsumeTick = defineMessage('bench.tick', z.object({ n: z.number(), sentAt: z.number() }), { topic: consumeTopic });
  await callersRun(consumeCount, callers, (n) => producer.publish(ConsumeTick, { n, sentAt: Date.now() }));
  const filled = async () => ({ topic: consumeTopic, Tick: ConsumeTick });
  const sdkConsume = async (sdk = client) => {
    const { Tick } = await filled();
    let seen = 0;
    let first = 0;
    let done!: (ms: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    const consumer = sdk
      .consumer({ group: `bench-sdk-${randomUUID().slice(0, 6)}`, concurrency: 64, prefetch: 4096, orderedByKey: false })
      .handle(Tick, () => {
        if (seen++ === 0) first = performance.now();
        if (seen === consumeCount) done(performance.now() - first);
      });
    await consumer.start();
    const ms = await finished;
    await consumer.close();
    return rate(consumeCount, ms);
  };
  const rawConsume = async () => {
    const { topic } = await filled();
    return kafkaRawConsume(kafka, topic, `bench-raw-${randomUUID().slice(0, 6)}`, consumeCount, PARTITIONS);
  };
  const rawSameWork = async () => {
    const { topic, Tick } = await filled();
    let seen = 0;
    let first = 0;
    let done!: (ms: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    const consumer = await kafkaRawSameWork(kafka, topic, `bench-raw-work-${randomUUID().slice(0, 6)}`, PARTITIONS, (value) => Tick.schema.parse(value), () => {
      if (seen++ === 0) first = performance.now();
      if (seen === consumeCount) done(performance.now() - first);
    });
    const ms = await finished;
    await consumer.disconnect();
    return rate(consumeCount, ms);
  };
  const consume = { sdk: [] as number[], awaited: [] as number[], raw: [] as number[], rawWork: [] as number[], platformatic: [] as number[] };
  const variants: Array<[number[], () => Promise<number>]> = [
    [consume.raw, rawConsume],
    [consume.rawWork, rawSameWork],
    [consume.sdk, () => sdkConsume()],
    [consume.awaited, () => sdkConsume(awaited)],
    ...(second ? [[consume.platformatic, () => sdkConsume(second)] as [number[], () => Promise<number>]] : []),
  ];
  for (let r = 0; r < rounds; r++) {
    // A different order each round: whichever runs first pays for a colder JIT and page cache.
    for (let i = 0; i < variants.length; i++) {
      const [into, variant] = variants[(i + r) % variants.length]!;
      into.push(await variant());
    }
  }

  await client.close();
  await awaited.close();
  await second?.close();
  await raw.disconnect();
  await naive.disconnect();
  await admin.disconnect();

  const p = { sdk: median(publish.sdk), send: median(publish.send), batch: median(publish.batch) };
  const c = { sdk: median(consume.sdk), awaited: median(consume.awaited), raw: median(consume.raw), rawWork: median(consume.rawWork) };
  console.log(`kafka bench: publish ${count} messages (naive send: ${naiveCount}), ${callers} concurrent callers; consume ${consumeCount}; ${rounds} rounds, medians in msg/s`);
  console.log(`publish  SDK publish() x ${callers} callers      ${p.sdk}`);
  console.log(`publish  raw send() per message x ${callers}     ${p.send}`);
  console.log(`publish  raw sendBatch() hand-batched (1000)  ${p.batch}`);
  console.log(`publish  SDK / naive send   ${(p.sdk / p.send).toFixed(2)}x (target >= 10)`);
  console.log(`publish  SDK / sendBatch    ${(p.sdk / p.batch).toFixed(2)}x (target >= 0.9)`);
  console.log(`consume  SDK consumer (at-least-once)       ${c.sdk}`);
  console.log(`consume  SDK consumer, ackAwaitsCommit true ${c.awaited}`);
  console.log(`consume  raw eachBatch                      ${c.raw}`);
  console.log(`consume  raw eachBatch, same work          ${c.rawWork}`);
  console.log(`consume  SDK / raw          ${(c.sdk / c.raw).toFixed(2)}x (target >= 0.9)`);
  console.log(`consume  SDK / raw same work  ${(c.sdk / c.rawWork).toFixed(2)}x`);
  console.log(`consume  SDK (acks await commits) / raw  ${(c.awaited / c.raw).toFixed(2)}x`);
  if (second) {
    const pp = median(publish.platformatic);
    const pc = median(consume.platformatic);
    console.log(`publish  SDK publish(), platformatic driver ${pp} (${(pp / p.sdk).toFixed(2)}x kafkajs driver, ${(pp / p.batch).toFixed(2)}x raw sendBatch)`);
    console.log(`consume  SDK consumer, platformatic driver  ${pc} (${(pc / c.sdk).toFixed(2)}x kafkajs driver, ${(pc / c.raw).toFixed(2)}x raw eachBatch)`);
  }
  console.log(`rounds: ${JSON.stringify({ publish, consume })}`);
}

await main();
