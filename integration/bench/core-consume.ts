/**
 * Core's consume cost without a broker: a backlog on the in-process transport drained by
 * consumer.handle and consumer.handleBatch (at-least-once, no-op handlers), alternating rounds.
 * handle-chain and batch-chain are the handlers on the middleware chain (a pass-through middleware
 * forces it), handle and batch their fast paths (direct-handle.ts, batch-lane.ts).
 *
 *   pnpm exec tsx integration/bench/core-consume.ts [messages=200000] [rounds=3] [variants=handle,handle-chain,batch,batch-chain]
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createClient, defineMessage, type HandlerFn } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import { median } from './median.ts';

const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const variants = (process.argv[4] ?? 'handle,handle-chain,batch,batch-chain').split(',');
const schema = z.object({ n: z.number(), sentAt: z.number() });

async function once(variant: string): Promise<{ perSecond: number; cpuUs: number }> {
  const topic = `bench-${randomUUID()}`;
  const Tick = defineMessage('bench.tick', schema, { topic });
  // Retention above the backlog (the default keeps 100,000 records a topic).
  const client = await createClient(new MemoryTransport({ broker: `bench-${randomUUID()}`, retainMessages: count + 1 }));
  const group = `g-${randomUUID().slice(0, 8)}`;
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const tick = (n: number) => {
    seen += n;
    if (seen >= count) done();
  };
  // '-chain': a pass-through middleware puts the handler on the middleware chain.
  const middleware = variant.endsWith('-chain') ? [(next: HandlerFn) => next] : [];
  const consumer = () => {
    if (variant.startsWith('handle')) return client.consumer({ group, concurrency: 64, prefetch: 4096, middleware }).handle(Tick, () => void tick(1));
    return client.consumer({ group, concurrency: 500, prefetch: 4096, middleware }).handleBatch(Tick, (items) => void tick(items.length), { maxSize: 500, maxWaitMs: 5 });
  };
  // The group subscribes once so its queue exists, then the backlog is published, then it drains.
  const first = consumer();
  await first.start();
  await first.close();
  const producer = client.producer();
  for (let i = 0; i < count; i += 1000) await producer.publishBatch(Array.from({ length: 1000 }, (_, j) => ({ message: Tick, payload: { n: i + j, sentAt: Date.now() } })));
  const c2 = consumer();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await c2.start();
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await c2.close();
  await client.close();
  return { perSecond: Math.round((count / ms) * 1000), cpuUs: (cpu.user + cpu.system) / count };
}

const results = new Map<string, Array<{ perSecond: number; cpuUs: number }>>();
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const res = await once(v);
    (results.get(v) ?? results.set(v, []).get(v)!).push(res);
    console.log(`round ${r + 1} ${v}: ${res.perSecond} msg/s, ${res.cpuUs.toFixed(2)} µs CPU/msg`);
  }
}

console.log(`medians: ${variants.map((v) => `${v} ${median(results.get(v)!.map((r) => r.perSecond))} msg/s, ${median(results.get(v)!.map((r) => r.cpuUs)).toFixed(2)} µs CPU/msg`).join('; ')}`);
