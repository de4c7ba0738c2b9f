/**
 * Kafka consume only: the SDK's per-message and batch handlers against raw kafkajs `eachBatch`
 * doing the same per-message work by hand, alternating in one process, with per-round ratios.
 *
 *   pnpm exec tsx integration/bench/kafka-consume.ts [records=200000] [rounds=5] [variants=raw,work,handle,batch] [topic]
 *   (variants handle-chain, batch-chain: the handlers on the middleware chain, forced by a pass-through middleware)
 *
 * One topic (6 partitions) is filled once with `records` messages by the SDK producer, or an
 * existing one is read (`topic`, for profiling one variant alone: `node --cpu-prof --import tsx`).
 * Every reader reads it whole in a group of its own, timed from the first message to the last:
 *   - raw:    kafkajs eachBatch + JSON.parse + resolveOffset per message, commit per batch
 *   - work:   kafkajs eachBatch + UTF-8 check, JSON, zod, an awaited async handler, 64 at a time
 *   - raw-envelope, work-envelope: the same two loops reading each record's Ferry envelope first
 *              (the adapter's record decoder, `decodeRecord`) and parsing its payload: what any
 *              reader of Ferry's format does, which the SDK cannot skip and the plain loops do
 *   - handle: consumer.handle, at-least-once, concurrency 64, prefetch 4096
 *   - batch:  consumer.handleBatch, maxSize 500, maxWaitMs 5, concurrency 500, prefetch 4096
 *   - adapter: the Kafka adapter alone: its subscription hands records to core's DeliveryGate
 *              and nothing more, which parses each payload's JSON and acks it at once
 * Uses FERRY_KAFKA_BROKERS or 127.0.0.1:9092.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { createClient, defineMessage, type HandlerFn } from '@ferry/core';
import { DeliveryGate } from '@ferry/core/spi';
import { decodeRecord, KafkaTransport } from '@ferry/kafka';
import { kafkaRawConsume, kafkaRawSameWork, type PayloadOf } from './raw-loops.ts';
import { median } from './median.ts';

const brokers = (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const chosen = (process.argv[4] ?? 'raw,work,handle,batch').split(',');
const givenTopic = process.argv[5];
const PARTITIONS = 6;

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
/** CPU µs a message of the variant that ran last (this process's user + system time, first message to last). */
const cpuPerMessage: number[] = [];
const schema = z.object({ n: z.number(), sentAt: z.number() });

async function main(): Promise<void> {
  const url = new URL(`kafka://${brokers[0]}`);
  const kafka = new Kafka({ clientId: 'bench-consume-raw', brokers, logLevel: logLevel.ERROR });
  const transport = new KafkaTransport(url, { partitions: PARTITIONS, clientId: 'bench-consume', logLevel: 'nothing' });
  const client = await createClient(transport);
  const topic = givenTopic ?? `bench-kafka-consume-${randomUUID().slice(0, 8)}`;
  const Tick = defineMessage('bench.tick', schema, { topic });
  if (!givenTopic) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = client.producer();
    let next = 0;
    await Promise.all(Array.from({ length: 1000 }, async () => {
      while (next < records) await producer.publish(Tick, { n: next++, sentAt: Date.now() });
    }));
    console.log(`filled ${topic} with ${records}`);
  }

  const timed = () => {
    let seen = 0;
    let first = 0;
    let cpu0: NodeJS.CpuUsage | undefined;
    let done!: (ms: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    const tick = (n: number) => {
      if (seen === 0) {
        first = performance.now();
        cpu0 = process.cpuUsage();
      }
      seen += n;
      if (seen >= records) {
        const cpu = process.cpuUsage(cpu0);
        cpuPerMessage.push((cpu.user + cpu.system) / records);
        done(performance.now() - first);
      }
    };
    return { tick, finished };
  };

  // '-chain': the handler with a pass-through middleware, which puts every message through the
  // whole chain, as handlers ran before their fast paths (direct-handle.ts, batch-lane.ts).
  const sdk = (kind: 'handle' | 'handle-chain' | 'batch' | 'batch-chain') => async () => {
    const { tick, finished } = timed();
    const group = `bench-consume-${randomUUID().slice(0, 8)}`;
    const middleware = kind.endsWith('-chain') ? [(next: HandlerFn) => next] : [];
    const consumer = kind.startsWith('handle')
      ? client.consumer({ group, concurrency: 64, prefetch: 4096, orderedByKey: false, middleware }).handle(Tick, () => void tick(1))
      : client.consumer({ group, concurrency: 500, prefetch: 4096, orderedByKey: false, middleware }).handleBatch(Tick, (items) => void tick(items.length), { maxSize: 500, maxWaitMs: 5 });
    await consumer.start();
    const ms = await finished;
    await consumer.close();
    return rate(records, ms);
  };
  const envelopePayload: PayloadOf = (recordTopic, partition, message) => decodeRecord(recordTopic, partition, message).envelope.payload;
  const raw = (payloadOf?: PayloadOf) => async () => {
    const cpu0 = process.cpuUsage();
    const result = await kafkaRawConsume(kafka, topic, `bench-consume-raw-${randomUUID().slice(0, 8)}`, records, PARTITIONS, payloadOf);
    const cpu = process.cpuUsage(cpu0);
    // Includes joining the group and leaving it: a little high.
    cpuPerMessage.push((cpu.user + cpu.system) / records);
    return result;
  };
  const work = (payloadOf?: PayloadOf) => async () => {
    const { tick, finished } = timed();
    const consumer = await kafkaRawSameWork(kafka, topic, `bench-consume-work-${randomUUID().slice(0, 8)}`, PARTITIONS, (value) => Tick.schema.parse(value), () => tick(1), payloadOf);
    const ms = await finished;
    await consumer.disconnect();
    return rate(records, ms);
  };

  const adapter = async () => {
    const { tick, finished } = timed();
    // Core's gate (the in-flight bound every adapter hands to), with nothing of core's consume loop behind it.
    const gate = new DeliveryGate(4096, (delivery) => {
      const { payload } = delivery.envelope;
      JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
      void delivery.ack();
      tick(1);
    });
    const group = `bench-consume-${randomUUID().slice(0, 8)}`;
    const spec = { topic, group, maxInFlight: 4096, start: { from: 'stored' }, deadLetterTopic: `${topic}.dead`, handlerTimeoutMs: 30_000, orderedByKey: false, delivery: 'at-least-once' } as const;
    const subscription = await transport.subscribe(spec, gate);
    const ms = await finished;
    await subscription.close();
    return rate(records, ms);
  };

  const all: Record<string, () => Promise<number>> = { adapter, raw: raw(), work: work(), 'raw-envelope': raw(envelopePayload), 'work-envelope': work(envelopePayload), handle: sdk('handle'), 'handle-chain': sdk('handle-chain'), batch: sdk('batch'), 'batch-chain': sdk('batch-chain') };
  const variants = chosen.map((name) => [name, all[name]!] as const);
  const figures: Record<string, number[]> = Object.fromEntries(chosen.map((name) => [name, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(chosen.map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, variant] = variants[(i + r) % variants.length]!;
      figures[name]!.push(await variant());
      cpu[name]!.push(cpuPerMessage.pop()!);
    }
    console.log(`round ${r + 1}: ${chosen.map((name) => `${name} ${figures[name]![r]} (${cpu[name]![r]!.toFixed(2)} µs)`).join(', ')}`);
  }
  await client.close();

  const med = Object.fromEntries(chosen.map((name) => [name, median(figures[name]!)]));
  console.log(`medians (msg/s): ${chosen.map((name) => `${name} ${med[name]}`).join(', ')}`);
  console.log(`medians (CPU µs a message): ${chosen.map((name) => `${name} ${median(cpu[name]!).toFixed(2)}`).join(', ')}`);
  const ratio = (a: string, b: string) => {
    if (!figures[a] || !figures[b]) return;
    const perRound = figures[a]!.map((v, i) => v / figures[b]![i]!);
    const cpuRatio = median(cpu[b]!) / median(cpu[a]!);
    console.log(`${a} / ${b}: ${(med[a]! / med[b]!).toFixed(2)}x (per-round median ${median(perRound).toFixed(2)}x, ${perRound.map((x) => x.toFixed(2)).join(' ')}); by CPU a message ${cpuRatio.toFixed(2)}x`);
  };
  ratio('handle', 'work');
  ratio('handle', 'raw');
  ratio('batch', 'work');
  ratio('batch', 'raw');
  ratio('handle', 'work-envelope');
  ratio('batch', 'raw-envelope');
  ratio('raw-envelope', 'raw');
  ratio('adapter', 'raw');
  ratio('adapter', 'raw-envelope');
  ratio('batch', 'adapter');
  ratio('batch', 'batch-chain');
}

await main();
