import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

/** Settling: an ack is final, a nack brings the message back, and nacks never lose messages. */
export const ackNackCases: CaseGroupFactory = () => ({
  title: 'ack and nack',
  cases: [
    { id: 'ack-final', name: 'ack is final: a new consumer of the group gets none of the acknowledged messages again', run: ackIsFinal },
    { id: 'nack-redeliver', name: 'nack redelivers: a handler that fails once handles each message on attempt 2, nothing dead-lettered', run: nackRedelivers },
    { id: 'nack-close', name: 'consumers that fail every message and close, again and again, lose nothing: a fresh consumer gets all of them', timeoutMs: 30_000, run: nackAndClose },
  ],
});

async function ackIsFinal(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const first = new Collector();
  let processed = 0;
  const consumerA = await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 4, hooks: { onProcessed: () => void processed++ } }, message, first.handler('a'));
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const n of range(0, 20)) ids.push(await producer.publish(message, { n }));
  // onProcessed fires once the ack is done.
  await waitFor(() => processed >= 20, env.ms(10_000), () => `20 acknowledged messages (${first.summary(ids)})`);
  await consumerA.close();

  const second = new Collector();
  await env.consume(await env.client(), { group, retry: env.retry(3) }, message, second.handler('b'));
  const marker = await producer.publish(message, { n: 999 });
  await waitFor(() => second.has(marker), env.ms(15_000), () => 'the marker at the new consumer');
  await sleep(env.ms(300));
  expect(first.missing(ids)).toEqual([]);
  expect(first.duplicates()).toEqual([]);
  expect(second.all.map((r) => r.id)).toEqual([marker]);
}

async function nackRedelivers(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const attempts = new Map<string, number[]>();
  const handled = new Collector();
  let deadLettered = 0;
  await env.consume(
    await env.client(),
    { group: env.group(), retry: env.retry(2, 10), concurrency: 4, hooks: { onDeadLetter: () => void deadLettered++ } },
    message,
    (item, ctx) => {
      attempts.set(ctx.envelope.id, [...(attempts.get(ctx.envelope.id) ?? []), ctx.attempt]);
      if (ctx.attempt === 1) throw new Error(`transient failure of ${item.n}`);
      handled.record(item, ctx, 'c');
    },
  );
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const n of range(0, 5)) ids.push(await producer.publish(message, { n }));
  await waitFor(() => handled.unique >= ids.length, env.ms(10_000), () => handled.summary(ids));
  await sleep(env.ms(200));
  for (const id of ids) expect(attempts.get(id), `attempts of ${id}`).toEqual([1, 2]);
  expect(handled.all.map((r) => r.attempt)).toEqual([2, 2, 2, 2, 2]);
  expect(deadLettered).toBe(0);
}

async function nackAndClose(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const producer = (await env.client()).producer();
  // The group exists before anything is published (queue-based brokers create its queue here).
  let failures = 0;
  let deadLettered = 0;
  const failing = () => ({ group, retry: env.retry(1000, 5, 1), concurrency: 4, hooks: { onDeadLetter: () => void deadLettered++ } });
  let consumer = await env.consume(await env.client(), failing(), message, () => {
    failures++;
    throw new Error('always failing');
  });
  const ids: string[] = [];
  for (const n of range(0, 20)) ids.push(await producer.publish(message, { n }));
  for (let round = 0; round < 3; round++) {
    const target = failures + 10;
    await waitFor(() => failures >= target, env.ms(10_000), () => `10 more failures in round ${round} (${failures})`);
    await consumer.close();
    if (round < 2) {
      consumer = await env.consume(await env.client(), failing(), message, () => {
        failures++;
        throw new Error('always failing');
      });
    }
  }
  const fresh = new Collector();
  await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 4 }, message, fresh.handler('fresh'));
  await waitFor(() => fresh.unique >= ids.length, env.ms(15_000), () => fresh.summary(ids));
  await sleep(env.ms(200));
  expect(fresh.missing(ids)).toEqual([]);
  expect(fresh.unique).toBe(ids.length);
  expect(deadLettered).toBe(0);
}
