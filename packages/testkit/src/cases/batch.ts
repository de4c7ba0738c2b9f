import { NonRetryableError, type BatchItem, type BatchResult, type ConsumerOptions, type MessageDefinition } from '@ferry/core';
import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import { readDeadLetters } from '../dead-letters.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage, type ItemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const SIZE = 20;

/** Batch handlers (`consumer.handleBatch`): one call for many messages, every message its own guarantees. */
export const batchCases: CaseGroupFactory = (info) => ({
  title: 'batch handlers',
  cases: [
    { id: 'batch-round-trip', name: `500 messages through a batch handler (maxSize ${SIZE}): each once, batches of up to ${SIZE}, several messages per call`, run: roundTrip },
    { id: 'batch-partial', name: 'a batch handler that fails some items: only those are retried (attempt 2), the others are acked once', run: partialFailure },
    { id: 'batch-throws', name: 'a batch handler that throws fails every item: all are retried, then handled once each', run: wholeFailure },
    { id: 'batch-dead-letter', name: 'an item failed with NonRetryableError is dead-lettered with its reason; the others of its batch are acked', run: deadLetter },
    {
      id: 'batch-eo',
      name: 'exactly-once with a batch handler: duplicate publishes (same id) have one effect; copies never reach the handler',
      perStore: true,
      run: exactlyOnce,
    },
    {
      id: 'batch-order',
      name: 'per-key order through batches: 8 keys × 20 messages arrive in order per key',
      skip: info.capabilities.orderingByKey ? undefined : 'the transport declares no per-key ordering (capabilities)',
      run: keyOrder,
    },
  ],
});

interface BatchLog {
  readonly sizes: number[];
  readonly items: Collector;
}

type Handle = (items: BatchItem<ItemMessage>[], log: BatchLog) => BatchResult<ItemMessage> | void;

async function consumeBatches(env: CaseEnv, message: ItemMessage, options: ConsumerOptions, handle: Handle): Promise<BatchLog> {
  const log: BatchLog = { sizes: [], items: new Collector() };
  const consumer = (await env.client()).consumer({ concurrency: SIZE, ...options }).handleBatch(
    message,
    (items) => {
      log.sizes.push(items.length);
      return handle(items, log);
    },
    { maxSize: SIZE, maxWaitMs: 20 },
  );
  await consumer.start();
  return log;
}

async function publishAll(env: CaseEnv, message: MessageDefinition, count: number, key?: (n: number) => string): Promise<string[]> {
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  await Promise.all(range(0, count).map(async (n) => ids.push(await producer.publish(message, { n }, key ? { key: key(n) } : undefined))));
  return ids;
}

async function roundTrip(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const log = await consumeBatches(env, message, { group: env.group(), retry: env.retry(3) }, (items, l) => {
    for (const i of items) l.items.record(i.payload, i.ctx, 'b');
  });
  const ids = await publishAll(env, message, 500);
  await waitFor(() => log.items.unique >= 500, env.ms(20_000), () => log.items.summary(ids));
  await sleep(env.ms(300));
  expect(log.items.duplicates()).toEqual([]);
  expect(log.items.all).toHaveLength(500);
  expect(Math.max(...log.sizes)).toBeLessThanOrEqual(SIZE);
  expect(Math.max(...log.sizes), `batch sizes ${log.sizes.join(',')}`).toBeGreaterThan(1);
}

async function partialFailure(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const attempts = new Map<number, number[]>();
  const log = await consumeBatches(env, message, { group: env.group(), retry: env.retry(3) }, (items) => {
    for (const i of items) attempts.set(i.payload.n, [...(attempts.get(i.payload.n) ?? []), i.ctx.attempt]);
    return { failed: items.filter((i) => i.payload.n % 5 === 0 && i.ctx.attempt === 1).map((item) => ({ item, error: new Error(`item ${item.payload.n} failed`) })) };
  });
  await publishAll(env, message, 50);
  await waitFor(() => attempts.size === 50 && range(0, 50).every((n) => (attempts.get(n)?.length ?? 0) === (n % 5 === 0 ? 2 : 1)), env.ms(20_000), () => `every item handled (${attempts.size} seen)`);
  await sleep(env.ms(300));
  for (const n of range(0, 50)) expect(attempts.get(n), `attempts of item ${n}`).toEqual(n % 5 === 0 ? [1, 2] : [1]);
  expect(log.sizes.length).toBeGreaterThan(0);
}

async function wholeFailure(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const handled = new Collector();
  let failedCalls = 0;
  // A retried item can share a batch with fresh ones, and that batch throws too; every throwing
  // batch holds a fresh item, so there are at most 30 of them and 32 attempts (a flat 10 ms
  // backoff) never run out: no item is dead-lettered, whatever the batches' timing.
  await consumeBatches(env, message, { group: env.group(), retry: env.retry(32, 10, 1) }, (items) => {
    if (items.some((i) => i.ctx.attempt === 1)) {
      failedCalls++;
      throw new Error('downstream unavailable');
    }
    for (const i of items) handled.record(i.payload, i.ctx, 'b');
  });
  const ids = await publishAll(env, message, 30);
  await waitFor(() => handled.unique >= 30, env.ms(20_000), () => handled.summary(ids));
  await sleep(env.ms(300));
  expect(failedCalls).toBeGreaterThan(0);
  expect(handled.duplicates()).toEqual([]);
  expect(handled.all.every((r) => r.attempt >= 2)).toBe(true);
}

async function deadLetter(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const handled = new Collector();
  await consumeBatches(env, message, { group: env.group(), retry: env.retry(3) }, (items) => {
    const bad = items.filter((i) => i.payload.n === 7);
    for (const i of items) if (i.payload.n !== 7) handled.record(i.payload, i.ctx, 'b');
    return { failed: bad.map((item) => ({ item, error: new NonRetryableError('item 7 is poison') })) };
  });
  const ids = await publishAll(env, message, 20);
  await waitFor(() => handled.unique >= 19, env.ms(20_000), () => `19 handled (${handled.unique})`);
  const dead = await readDeadLetters(env, `${message.topic}.dlq`, 1);
  expect(handled.duplicates()).toEqual([]);
  expect(dead).toHaveLength(1);
  expect(dead[0]!.headers['ferry-dead-letter-reason']).toBe('item 7 is poison');
  expect(ids).toContain(dead[0]!.id);
}

async function exactlyOnce(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const effects = new Collector();
  let duplicates = 0;
  await consumeBatches(env, message, { group: env.group(), delivery: 'exactly-once', retry: env.retry(3), idempotency: { store: await env.store() }, hooks: { onDuplicate: () => void duplicates++ } }, (items) => {
    for (const i of items) effects.record(i.payload, i.ctx, 'b');
  });
  const producer = (await env.client()).producer();
  const ids = range(0, 20).map((n) => `batch-eo-${env.run}-${n}`);
  for (const [n, id] of ids.entries()) await producer.publish(message, { n }, { id });
  for (const [n, id] of ids.slice(0, 5).entries()) await producer.publish(message, { n }, { id });
  // The copies either reach the consumer and are dropped there, or a broker with a dedup window (SQS FIFO) drops them first.
  await waitFor(() => effects.unique >= 20, env.ms(20_000), () => `20 effects (${effects.unique})`);
  await sleep(env.ms(500));
  expect(effects.duplicates()).toEqual([]);
  expect(effects.all).toHaveLength(20);
  expect(duplicates).toBeLessThanOrEqual(5);
}

async function keyOrder(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const perKey = new Map<string, number[]>();
  let total = 0;
  await consumeBatches(env, message, { group: env.group(), retry: env.retry(3), orderedByKey: true }, (items) => {
    for (const i of items) {
      const key = i.ctx.envelope.key ?? '';
      perKey.set(key, [...(perKey.get(key) ?? []), i.payload.n]);
      total++;
    }
  });
  const producer = (await env.client()).producer();
  await Promise.all(range(0, 8).map(async (k) => {
    for (const n of range(0, 20)) await producer.publish(message, { n, tag: `k${k}` }, { key: `k${k}` });
  }));
  await waitFor(() => total >= 160, env.ms(20_000), () => `160 messages (${total})`);
  await sleep(env.ms(200));
  for (const k of range(0, 8)) expect(perKey.get(`k${k}`), `order of key k${k}`).toEqual(range(0, 20));
}
