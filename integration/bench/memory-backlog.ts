/**
 * Peak memory draining a backlog on the in-process transport: the SDK (at-least-once, concurrency
 * 16, a handler that takes 1 ms) against the same transport driven raw, each in a fresh process,
 * alternating, medians of peak RSS.
 *
 *   pnpm exec tsx integration/bench/memory-backlog.ts [messages=1000000] [rounds=3]
 *
 * A child is run as `... memory-backlog.ts --child <sdk|raw> <messages>` and prints its peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createClient, defineMessage, type OutgoingMessage } from '@ferry/core';
import type { DeliverySink } from '@ferry/core/spi';
import { MemoryTransport } from '@ferry/memory';
import { median } from './median.ts';

const CONCURRENCY = 16;
const HANDLER_MS = 1;
const Tick = defineMessage('bench.tick', z.object({ n: z.number() }), { topic: 'backlog' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fills the topic with `count` messages, then drains it with a slow handler; resolves when drained. */
async function sdk(count: number): Promise<void> {
  const client = await createClient(new MemoryTransport({ broker: `b-${randomUUID()}`, retainMessages: count + 1 }));
  const producer = client.producer();
  for (let n = 0; n < count; n += 1000) await producer.publishBatch(Array.from({ length: Math.min(1000, count - n) }, (_, i) => ({ message: Tick, payload: { n: n + i } })));
  let handled = 0;
  let done!: () => void;
  const drained = new Promise<void>((r) => (done = r));
  await client
    .consumer({ group: 'g', concurrency: CONCURRENCY })
    .handle(Tick, async () => {
      await sleep(HANDLER_MS);
      if (++handled === count) done();
    })
    .start();
  await drained;
  await client.close();
}

async function raw(count: number): Promise<void> {
  const transport = new MemoryTransport({ broker: `b-${randomUUID()}`, retainMessages: count + 1 });
  const encoder = new TextEncoder();
  for (let n = 0; n < count; n += 1000) {
    const batch: OutgoingMessage[] = Array.from({ length: Math.min(1000, count - n) }, (_, i) => ({ id: randomUUID(), type: Tick.type, topic: Tick.topic, headers: { 'ferry-content-type': 'application/json' }, payload: encoder.encode(JSON.stringify({ n: n + i })), timestamp: Date.now() }));
    await transport.send(batch);
  }
  let handled = 0;
  let held = 0;
  let done!: () => void;
  const drained = new Promise<void>((r) => (done = r));
  const decoder = new TextDecoder();
  const sink: DeliverySink = {
    get room() {
      return CONCURRENCY * 2 - held;
    },
    stopped: false,
    fail: (error) => {
      throw error;
    },
    whenRoom: () => new Promise(() => undefined),
    deliver: (delivery) => {
      held++;
      JSON.parse(decoder.decode(delivery.envelope.payload));
      void sleep(HANDLER_MS).then(async () => {
        held--;
        await delivery.ack();
        if (++handled === count) done();
      });
    },
  };
  const subscription = await transport.subscribe({ topic: Tick.topic, group: 'g', maxInFlight: CONCURRENCY * 2, start: { from: 'stored' }, deadLetterTopic: 'backlog.dlq', handlerTimeoutMs: 60_000, orderedByKey: false, delivery: 'at-least-once' }, sink);
  await drained;
  await subscription.close();
  await transport.close();
}

const [flag, variant, messages] = process.argv.slice(2);
if (flag === '--child') {
  const count = Number(messages);
  await (variant === 'sdk' ? sdk(count) : raw(count));
  // maxRSS is in KiB.
  process.stdout.write(`${process.resourceUsage().maxRSS * 1024}\n`);
  process.exit(0);
}

const count = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 3);
const self = fileURLToPath(import.meta.url);
const peaks: Record<'sdk' | 'raw', number[]> = { sdk: [], raw: [] };
for (let round = 0; round < rounds; round++) {
  for (const v of round % 2 === 0 ? (['raw', 'sdk'] as const) : (['sdk', 'raw'] as const)) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', v, String(count)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const bytes = Number(out.trim().split('\n').at(-1));
    peaks[v].push(bytes);
    console.log(`round ${round + 1} ${v}: peak RSS ${(bytes / 2 ** 20).toFixed(0)} MB`);
  }
}
const [s, r] = [median(peaks.sdk), median(peaks.raw)];
console.log(`\npeak RSS draining ${count.toLocaleString('en-US')} messages (median of ${rounds}): SDK ${(s / 2 ** 20).toFixed(0)} MB, raw ${(r / 2 ** 20).toFixed(0)} MB: ${(s / r).toFixed(2)}×`);
