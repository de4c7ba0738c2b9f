/**
 * What @ferry/opentelemetry costs: publish and consume throughput on the in-process transport and
 * on RabbitMQ, in one run, with the instrumentation
 *   - off:  a plain client
 *   - noop: instrument(client) with the OpenTelemetry API alone (no SDK, no context manager)
 *   - sdk:  instrument(client) with the SDK: BatchSpanProcessor and a periodic metric reader, both
 *           exporting to nowhere (the SDK's own cost, not an exporter's), AsyncLocalStorage context
 * Rounds alternate the variants (rotating which goes first) and each variant's median is kept; the
 * ratios are of medians and, as a check on drift, the median of per-round ratios. Each round
 * also reads the process's CPU time: CPU microseconds per message move less than wall-clock
 * throughput when other work shares the machine (the shared machines here often run at a load of
 * several times their cores), so both are printed. A collection runs before each measured round.
 *
 *   pnpm exec tsx integration/bench/observability.ts [memory messages=20000] [rabbitmq messages=3000] [memory rounds=11] [rabbitmq rounds=7]
 *
 * Target: noop >= 0.97x off. Uses FERRY_AMQP_URL or amqp://guest:guest@127.0.0.1:5672.
 */
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import amqp from 'amqplib';
import { z } from 'zod';
import { createClient, defineMessage, type Client } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import { instrument } from '@ferry/opentelemetry';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { subscribe } from '../harness/spi-fixtures.ts';
import { median } from './median.ts';

const memoryCount = Number(process.argv[2] ?? 20_000);
const rabbitCount = Number(process.argv[3] ?? 3_000);
const memoryRounds = Number(process.argv[4] ?? 11);
const rabbitRounds = Number(process.argv[5] ?? 7);
// A collection before each measured round, so rounds start from the same heap.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (() => void) | undefined;
const url = process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const publishers = 64;
const concurrency = 16;

type Variant = 'off' | 'noop' | 'sdk';
const VARIANTS: readonly Variant[] = ['off', 'noop', 'sdk'];
type Kind = 'memory' | 'rabbitmq';

const discardSpans: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => undefined };
const discardMetrics: PushMetricExporter = { export: (_metrics, done) => done({ code: ExportResultCode.SUCCESS }), forceFlush: async () => undefined, shutdown: async () => undefined };
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discardSpans)] });
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: discardMetrics, exportIntervalMillis: 1_000 })] });
const contextManager = new AsyncLocalStorageContextManager();


/** One measured round: messages per wall-clock second, and CPU microseconds (user + system) per message. */
interface Sample {
  readonly rate: number;
  readonly cpu: number;
}

/** Starts the clocks (after a collection, when exposed); the returned function stops them. */
function clocks(count: number): () => Sample {
  gc?.();
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { rate: Math.round((count / (performance.now() - wall)) * 1000), cpu: (used.user + used.system) / count };
  };
}

/** The SDK variant runs with async context propagation, the others without (the API's default). */
function setContext(variant: Variant): void {
  context.disable();
  if (variant === 'sdk') context.setGlobalContextManager(contextManager.enable());
}

const declared: string[] = [];

async function makeClient(kind: Kind, variant: Variant): Promise<Client> {
  setContext(variant);
  const client = await createClient(kind === 'memory' ? new MemoryTransport({ broker: `bench-otel-${randomUUID()}` }) : url);
  if (variant === 'noop') instrument(client);
  if (variant === 'sdk') instrument(client, { tracerProvider, meterProvider });
  return client;
}

function tick(topic: string) {
  return defineMessage('bench.tick', z.object({ n: z.number() }), { topic });
}

async function publishRound(kind: Kind, variant: Variant, count: number): Promise<Sample> {
  const client = await makeClient(kind, variant);
  const topic = `bench-otel-${randomUUID().slice(0, 8)}`;
  declared.push(topic);
  const Tick = tick(topic);
  const producer = client.producer();
  if (kind === 'rabbitmq') await declareGroup(client, topic, 'sink'); // a queue behind the exchange, as in production
  let next = 0;
  const stop = clocks(count);
  await Promise.all(
    Array.from({ length: publishers }, async () => {
      while (next < count) await producer.publish(Tick, { n: next++ });
    }),
  );
  const result = stop();
  await client.close();
  return result;
}

async function consumeRound(kind: Kind, variant: Variant, count: number): Promise<Sample> {
  const client = await makeClient(kind, variant);
  const topic = `bench-otel-${randomUUID().slice(0, 8)}`;
  declared.push(topic);
  const Tick = tick(topic);
  if (kind === 'rabbitmq') await declareGroup(client, topic, 'g');
  const producer = client.producer();
  // Filled by the same client: with the SDK the messages carry a trace context, as they would.
  for (let sent = 0; sent < count; ) {
    const chunk = Math.min(1000, count - sent);
    await Promise.all(Array.from({ length: chunk }, () => producer.publish(Tick, { n: sent++ })));
  }
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = client.consumer({ group: 'g', concurrency, orderedByKey: false }).handle(Tick, () => {
    if (++handled === count) done();
  });
  const stop = clocks(count);
  await consumer.start();
  await finished;
  const result = stop();
  await client.close();
  return result;
}

/** Declares a group's queue the way the adapter does, so messages published before the consumer starts are kept. */
async function declareGroup(client: Client, topic: string, group: string): Promise<void> {
  const spec = { topic, group, maxInFlight: 1, start: { from: 'stored' } as const, deadLetterTopic: `${topic}.dlq`, handlerTimeoutMs: 60_000, orderedByKey: false, delivery: 'at-least-once' as const };
  await client.transport.connect?.();
  await (await subscribe(client.transport, spec, () => undefined)).close();
}

async function cleanupRabbit(): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  for (const topic of declared) {
    for (const queue of [`${topic}.g`, `${topic}.sink`, `${topic}.dlq.ferry-dead-letters`]) await channel.deleteQueue(queue).catch(() => undefined);
    for (const exchange of [topic, `${topic}.dlq`]) await channel.deleteExchange(exchange).catch(() => undefined);
  }
  await connection.close().catch(() => undefined);
}

async function measure(kind: Kind, count: number, rounds: number) {
  const results = { publish: new Map<Variant, Sample[]>(), consume: new Map<Variant, Sample[]>() };
  for (const variant of VARIANTS) {
    results.publish.set(variant, []);
    results.consume.set(variant, []);
  }
  // Warm-up: JIT and connections, not measured.
  for (const variant of VARIANTS) {
    await publishRound(kind, variant, Math.min(count, 2000));
    await consumeRound(kind, variant, Math.min(count, 2000));
  }
  for (let round = 0; round < rounds; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
    for (const variant of order) results.publish.get(variant)!.push(await publishRound(kind, variant, count));
    for (const variant of order) results.consume.get(variant)!.push(await consumeRound(kind, variant, count));
  }
  return results;
}

function report(kind: Kind, count: number, rounds: number, results: Awaited<ReturnType<typeof measure>>): void {
  console.log(`${kind}: ${count} messages per round, ${rounds} rounds${gc ? ', gc before each' : ''} (medians; msg/s of each round in brackets)`);
  for (const op of ['publish', 'consume'] as const) {
    const byVariant = results[op];
    for (const variant of VARIANTS) {
      const samples = byVariant.get(variant)!;
      console.log(`  ${op.padEnd(8)} ${variant.padEnd(5)} ${String(median(samples.map((s) => s.rate))).padStart(8)} msg/s  ${median(samples.map((s) => s.cpu)).toFixed(2).padStart(7)} µs CPU/msg   [${samples.map((s) => s.rate).join(', ')}]`);
    }
    const off = byVariant.get('off')!;
    for (const variant of ['noop', 'sdk'] as const) {
      const samples = byVariant.get(variant)!;
      const wall = median(samples.map((s) => s.rate)) / median(off.map((s) => s.rate));
      const perRound = median(samples.map((s, i) => s.rate / off[i]!.rate));
      const cpu = median(off.map((s) => s.cpu)) / median(samples.map((s) => s.cpu));
      const target = variant === 'noop' ? `   target >= 0.97x: ${wall >= 0.97 ? 'met' : 'not met'} (wall), ${cpu >= 0.97 ? 'met' : 'not met'} (CPU)` : '';
      console.log(`  ${op.padEnd(8)} ${variant}/off  ${wall.toFixed(3)}x msg/s (median per round ${perRound.toFixed(3)}x), ${cpu.toFixed(3)}x by CPU per message${target}`);
    }
  }
}

const memory = await measure('memory', memoryCount, memoryRounds);
report('memory', memoryCount, memoryRounds, memory);
try {
  const rabbit = await measure('rabbitmq', rabbitCount, rabbitRounds);
  report('rabbitmq', rabbitCount, rabbitRounds, rabbit);
} finally {
  await cleanupRabbit();
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
}
