import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { InstrumentedTransport } from '../instrument.ts';
import { itemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const CHURN_MESSAGES = 1000;
const CHURNERS = 5;

/** Flow control and consumer lifecycle under load. */
export const flowCases: CaseGroupFactory = () => ({
  title: 'flow control and lifecycle',
  cases: [
    { id: 'bounded', name: 'bounded in-flight under a slow handler: concurrency 4 with 40 messages runs at most 4 handlers at once (and reaches 4); unsettled deliveries stay within the prefetch', run: bounded },
    { id: 'churn', name: `consumers created and closed repeatedly while ${CHURN_MESSAGES} messages are published lose none of them`, timeoutMs: 45_000, run: churn },
    { id: 'graceful-close', name: 'graceful close waits for in-flight handlers; nothing is lost and nothing is redelivered to the next consumer', run: gracefulClose },
  ],
});

async function bounded(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const transport = new InstrumentedTransport(await env.transport());
  let active = 0;
  let maxActive = 0;
  const done = new Collector();
  const prefetch = 6;
  await env.consume(await env.wrap(transport), { group: env.group(), retry: env.retry(3), concurrency: 4, prefetch }, message, async (item, ctx) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(20);
    active--;
    done.record(item, ctx, 'c');
  });
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const n of range(0, 40)) ids.push(await producer.publish(message, { n }));
  await waitFor(() => done.unique >= 40, env.ms(15_000), () => done.summary(ids));
  expect(maxActive).toBe(4);
  expect(transport.maxInFlightAsked).toBe(prefetch);
  expect(transport.maxUnsettled, 'deliveries held unsettled at once').toBeLessThanOrEqual(prefetch);
  expect(transport.maxUnsettled).toBeGreaterThanOrEqual(4);
  expect(done.missing(ids)).toEqual([]);
  expect(done.duplicates()).toEqual([]);
}

async function churn(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const collector = new Collector();
  const options = { group, retry: env.retry(5), concurrency: 4 };
  // One consumer stays up throughout, so the group (and a queue-based broker's queue) exists from the start.
  await env.consume(await env.client(), options, message, collector.handler('steady'));
  let publishing = true;
  let cycles = 0;
  const churners = range(0, CHURNERS).map(async (i) => {
    while (publishing) {
      const client = await env.client();
      const consumer = await env.consume(client, options, message, collector.handler(`churn-${i}`));
      await sleep(env.ms(30 + Math.floor(Math.random() * 100)));
      await consumer.close();
      await client.close();
      cycles++;
    }
  });
  const producer = (await env.client()).producer();
  const published = new Map<string, number>();
  for (const n of range(0, CHURN_MESSAGES)) {
    published.set(await producer.publish(message, { n }), n);
    if (n % 50 === 49) await sleep(env.ms(20));
  }
  // Let the churn go on a little after the last publish, then stop it.
  await sleep(env.ms(200));
  publishing = false;
  await Promise.all(churners);
  const ids = [...published.keys()];
  await waitFor(() => ids.every((id) => collector.has(id)), env.ms(20_000), () => collector.summary(ids));
  expect(collector.missing(ids)).toEqual([]);
  expect(collector.unique).toBe(CHURN_MESSAGES);
  expect(collector.all.filter((r) => published.get(r.id) !== r.n)).toEqual([]);
  expect(cycles).toBeGreaterThanOrEqual(CHURNERS);
  // The churning consumers did take part.
  expect([...collector.byConsumer().keys()].some((c) => c.startsWith('churn-'))).toBe(true);
}

async function gracefulClose(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  let started = 0;
  let finished = 0;
  const first = new Collector();
  const consumer = await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 4 }, message, async (item, ctx) => {
    started++;
    await sleep(env.ms(200));
    first.record(item, ctx, 'first');
    finished++;
  });
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const n of range(0, 8)) ids.push(await producer.publish(message, { n }));
  await waitFor(() => started >= 4, env.ms(10_000), () => `4 handlers running (${started})`);
  const closing = Date.now();
  await consumer.close({ timeoutMs: env.ms(10_000) });
  const waited = Date.now() - closing;
  expect(finished, 'every handler that started has finished when close() resolves').toBe(started);
  expect(waited).toBeGreaterThanOrEqual(env.ms(200) - 50);

  const second = new Collector();
  await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 4 }, message, second.handler('second'));
  const marker = await producer.publish(message, { n: 100 });
  await waitFor(() => second.has(marker) && first.unique + second.unique >= ids.length + 1, env.ms(15_000), () => `all 8 and the marker (first ${first.unique}, second ${second.unique})`);
  await sleep(env.ms(300));
  // Nothing lost: the first consumer's messages plus the second's are all 8; nothing handled twice.
  const handled = [...first.all, ...second.all].map((r) => r.id);
  expect(new Set(handled)).toEqual(new Set([...ids, marker]));
  expect(handled).toHaveLength(ids.length + 1);
}
