/**
 * Publish → handle through the full middleware stack on the in-process transport, against the
 * same transport driven raw (transport.send + subscribe + ack, no core), in one run.
 *
 *   pnpm exec tsx integration/bench/memory.ts [messages=20000] [concurrency=16] [latencyRounds=3]
 *
 * Prints messages/s with concurrent publishers (the queue fills, so those latencies include waiting
 * in it), then the latency of one message at a time through the stack (p50/p99; exactly-once, which
 * runs the idempotency step, and at-least-once, the default, which takes the direct path), in
 * alternating rounds with their medians, and the SDK/raw ratios.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createClient, defineMessage, type OutgoingMessage } from '@ferry/core';
import type { DeliverySink } from '@ferry/core/spi';
import { MemoryTransport } from '@ferry/memory';
import { median } from './median.ts';

const count = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 16);
const latencyRounds = Number(process.argv[4] ?? 3);
const Tick = defineMessage('bench.tick', z.object({ n: z.number(), sentAt: z.number() }), { topic: `bench-${randomUUID()}` });

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarize(latencies: number[], elapsedMs: number): Result {
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round((latencies.length / elapsedMs) * 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Full SDK: typed publish (schema + encode) → consumer (decode, schema, idempotency under exactly-once, retry, dead-letter wrappers) → handler. */
async function sdk(publishers = concurrency, total = count, delivery: 'exactly-once' | 'at-least-once' = 'exactly-once'): Promise<Result> {
  const count = total;
  const client = await createClient(new MemoryTransport({ broker: `bench-sdk-${randomUUID()}` }));
  const latencies: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const consumer = client.consumer({ group: 'bench', delivery, concurrency, retry: { attempts: 3 } }).handle(Tick, async (tick) => {
    latencies.push(performance.now() - tick.sentAt);
    if (latencies.length === count) done();
  });
  await consumer.start();
  const producer = client.producer();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      for (let n = p; n < count; n += publishers) {
        const handled = latencies.length;
        await producer.publish(Tick, { n, sentAt: performance.now() }, { key: `k${n % 64}` });
        if (publishers === 1) while (latencies.length === handled) await new Promise((r) => setImmediate(r));
      }
    }),
  );
  await finished;
  const elapsed = performance.now() - start;
  await client.close();
  return summarize(latencies, elapsed);
}

/** Raw transport: hand-built envelopes, JSON by hand, ack on arrival: the floor core adds to. */
async function raw(publishers = concurrency, total = count): Promise<Result> {
  const count = total;
  const transport = new MemoryTransport({ broker: `bench-raw-${randomUUID()}` });
  const latencies: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // The least a sink does (count what is held), without core's gate.
  let held = 0;
  const maxInFlight = concurrency * 2;
  const sink: DeliverySink = {
    get room() {
      return maxInFlight - held;
    },
    stopped: false,
    fail: (error) => {
      throw error;
    },
    whenRoom: () => new Promise(() => undefined), // memory dispatches again when an ack frees room
    deliver: (delivery) => {
      held++;
      const tick = JSON.parse(decoder.decode(delivery.envelope.payload)) as { sentAt: number };
      latencies.push(performance.now() - tick.sentAt);
      held--;
      void delivery.ack();
      if (latencies.length === count) done();
    },
  };
  const subscription = await transport.subscribe(
    { topic: Tick.topic, group: 'bench', maxInFlight, start: { from: 'stored' }, deadLetterTopic: `${Tick.topic}.dlq`, handlerTimeoutMs: 60_000, orderedByKey: true, delivery: 'at-least-once' },
    sink,
  );
  const start = performance.now();
  const sending = Array.from({ length: publishers }, async (_, p) => {
    for (let n = p; n < count; n += publishers) {
      const handled = latencies.length;
      const message: OutgoingMessage = { id: randomUUID(), type: Tick.type, topic: Tick.topic, key: `k${n % 64}`, headers: {}, payload: encoder.encode(JSON.stringify({ n, sentAt: performance.now() })), timestamp: Date.now() };
      await transport.send([message]);
      if (publishers === 1) while (latencies.length === handled) await new Promise((r) => setImmediate(r));
    }
  });
  await Promise.all(sending);
  await finished;
  const elapsed = performance.now() - start;
  await subscription.close();
  await transport.close();
  return summarize(latencies, elapsed);
}

const fmt = (r: Result) => `${r.perSecond.toLocaleString('en').padStart(8)} msg/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`;
await raw(); // warm-up: JIT and allocator, so the first measured run is not penalised
await sdk();
const rawLoad = await raw();
const sdkLoad = await sdk();
const latencyCount = Math.min(count, 5000);
const one: Record<'raw' | 'exactly-once' | 'at-least-once', Result[]> = { raw: [], 'exactly-once': [], 'at-least-once': [] };
const oneVariants = [
  ['raw', () => raw(1, latencyCount)],
  ['exactly-once', () => sdk(1, latencyCount, 'exactly-once')],
  ['at-least-once', () => sdk(1, latencyCount, 'at-least-once')],
] as const;
for (let r = 0; r < latencyRounds; r++) {
  for (let i = 0; i < oneVariants.length; i++) {
    const [name, run] = oneVariants[(i + r) % oneVariants.length]!;
    one[name].push(await run());
  }
}
/** Each figure the median of its rounds' (so p99 is the median round's p99). */
const medianOf = (results: Result[]): Result => ({ perSecond: median(results.map((r) => r.perSecond)), p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)) });
const rawOne = medianOf(one.raw);
const sdkOne = medianOf(one['exactly-once']);
const sdkOneAlo = medianOf(one['at-least-once']);
console.log(`memory: ${count} messages from ${concurrency} publishers, consumer concurrency ${concurrency}`);
console.log(`  raw transport           ${fmt(rawLoad)}`);
console.log(`  SDK (full middleware)   ${fmt(sdkLoad)}`);
console.log(`  SDK / raw throughput    ${(sdkLoad.perSecond / rawLoad.perSecond).toFixed(2)}x`);
console.log(`memory: ${latencyCount} messages one at a time (publish → handled, then the next), medians of ${latencyRounds} alternating rounds`);
console.log(`  raw transport           ${fmt(rawOne)}   p99 of each round: ${one.raw.map((r) => r.p99.toFixed(3)).join(', ')}`);
console.log(`  SDK, exactly-once       ${fmt(sdkOne)}   p99 of each round: ${one['exactly-once'].map((r) => r.p99.toFixed(3)).join(', ')}`);
console.log(`  SDK, at-least-once      ${fmt(sdkOneAlo)}   p99 of each round: ${one['at-least-once'].map((r) => r.p99.toFixed(3)).join(', ')}`);
