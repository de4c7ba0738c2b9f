import { HEADERS, NonRetryableError, type Envelope } from '@ferry/core';
import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import { readDeadLetters } from '../dead-letters.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage, itemSchema } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const BACKOFF_MS = 100;

/** Retry with backoff, dead-lettering with the reason in headers, and redrive. */
export const retryDeadLetterCases: CaseGroupFactory = (info) => ({
  title: 'retry and dead letters',
  cases: [
    {
      id: 'retry-backoff',
      name:
        info.capabilities.delay === false
          ? 'retry then success: ctx.attempt is 1, 2, 3 (no backoff: the transport declares no delay)'
          : `retry with backoff then success: ctx.attempt is 1, 2, 3 and the gaps are at least ${BACKOFF_MS} and ${BACKOFF_MS * 2} ms`,
      run: retryWithBackoff,
    },
    { id: 'poison', name: 'a poison message is dead-lettered after 3 attempts with reason, kind, attempts and origin in headers; the consumer keeps going', run: poison },
    { id: 'non-retryable', name: 'NonRetryableError dead-letters on attempt 1 without retries', run: nonRetryable },
    { id: 'redrive', name: 'redrive moves dead letters back to their topic (same id and payload) where they are then handled; the dead letter is left empty', timeoutMs: 30_000, run: redrive },
  ],
});

async function retryWithBackoff(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const seen: Array<{ attempt: number; at: number }> = [];
  let succeeded = 0;
  await env.consume(await env.client(), { group: env.group(), retry: env.retry(3, BACKOFF_MS, 2) }, message, (_item, ctx) => {
    seen.push({ attempt: ctx.attempt, at: Date.now() });
    if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails`);
    succeeded++;
  });
  await (await env.client()).producer().publish(message, { n: 1 });
  await waitFor(() => succeeded === 1, env.ms(10_000), () => `success on attempt 3 (attempts so far: ${seen.map((s) => s.attempt).join(',')})`);
  await sleep(env.ms(200));
  expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
  expect(succeeded).toBe(1);
  if (env.capabilities.delay !== false) {
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(BACKOFF_MS * 2);
  }
}

function expectDeadLetterHeaders(envelope: Envelope, expected: { topic: string; group: string; kind: string; attempts: number; reason: string }): void {
  const h = envelope.headers;
  expect(h[HEADERS.deadLetterReason]).toContain(expected.reason);
  expect(h[HEADERS.deadLetterKind]).toBe(expected.kind);
  expect(h[HEADERS.deadLetterAttempts]).toBe(String(expected.attempts));
  expect(h[HEADERS.originalTopic]).toBe(expected.topic);
  expect(h[HEADERS.originalGroup]).toBe(expected.group);
  expect(Number.isNaN(Date.parse(h[HEADERS.deadLetterAt] ?? ''))).toBe(false);
  expect(() => JSON.parse(h[HEADERS.originalCoordinates] ?? '')).not.toThrow();
}

async function poison(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = itemMessage(topic);
  const group = env.group();
  const attempts: number[] = [];
  const good = new Collector();
  await env.consume(await env.client(), { group, retry: env.retry(3, 10) }, message, (item, ctx) => {
    if (item.tag === 'poison') {
      attempts.push(ctx.attempt);
      throw new Error(`poison message ${item.n} cannot be handled`);
    }
    good.record(item, ctx, 'c');
  });
  const producer = (await env.client()).producer();
  const poisonId = await producer.publish(message, { n: 7, tag: 'poison' }, { key: 'poison-key', headers: { 'x-trace': 'kept' } });
  const goodId = await producer.publish(message, { n: 8, tag: 'good' });

  const dead = await readDeadLetters(env, `${topic}.dlq`, 1);
  await waitFor(() => good.has(goodId), env.ms(10_000), () => 'the good message after the poison one');
  expect(attempts).toEqual([1, 2, 3]);
  expect(dead).toHaveLength(1);
  const letter = dead[0]!;
  expect(letter.id).toBe(poisonId);
  expect(letter.type).toBe(message.type);
  expect(letter.key).toBe('poison-key');
  expect(letter.headers['x-trace']).toBe('kept');
  expect(itemSchema.parse(JSON.parse(new TextDecoder().decode(letter.payload)))).toEqual({ n: 7, tag: 'poison' });
  expectDeadLetterHeaders(letter, { topic, group, kind: 'handler', attempts: 3, reason: 'poison message 7 cannot be handled' });
  expect(good.all.map((r) => r.id)).toEqual([goodId]);
}

async function nonRetryable(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = itemMessage(topic);
  const group = env.group();
  const attempts: number[] = [];
  await env.consume(await env.client(), { group, retry: env.retry(5, 10) }, message, (_item, ctx) => {
    attempts.push(ctx.attempt);
    throw new NonRetryableError('order 42 references a deleted customer');
  });
  const id = await (await env.client()).producer().publish(message, { n: 42 });
  const dead = await readDeadLetters(env, `${topic}.dlq`, 1);
  expect(attempts).toEqual([1]);
  expect(dead.map((e) => e.id)).toEqual([id]);
  expectDeadLetterHeaders(dead[0]!, { topic, group, kind: 'handler', attempts: 1, reason: 'order 42 references a deleted customer' });
}

async function redrive(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = itemMessage(topic);
  let broken = true;
  let deadLettered = 0;
  const handled = new Collector();
  const client = await env.client();
  await env.consume(client, { group: env.group(), retry: env.retry(3, 10), hooks: { onDeadLetter: () => void deadLettered++ } }, message, (item, ctx) => {
    if (broken) throw new NonRetryableError(`downstream rejects ${item.n}`);
    handled.record(item, ctx, 'c');
  });
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const n of range(0, 3)) ids.push(await producer.publish(message, { n }, { key: `k${n}` }));
  await waitFor(() => deadLettered >= 3, env.ms(10_000), () => `3 dead letters (${deadLettered})`);
  expect(handled.unique).toBe(0);

  broken = false; // the downstream is fixed
  const result = await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: env.ms(500) });
  expect(result).toEqual({ redriven: 3, skipped: 0 });
  await waitFor(() => handled.unique >= 3, env.ms(10_000), () => handled.summary(ids));
  await sleep(env.ms(200));
  expect(handled.all.map((r) => r.id).sort()).toEqual([...ids].sort());
  expect(handled.all.map((r) => r.n).sort()).toEqual([0, 1, 2]);
  expect(handled.all.map((r) => r.key).sort()).toEqual(['k0', 'k1', 'k2']);
  expect(handled.all.every((r) => r.attempt === 1)).toBe(true);
  expect(deadLettered).toBe(3);
  // Nothing is left to redrive.
  expect(await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: env.ms(300) })).toEqual({ redriven: 0, skipped: 0 });
}
