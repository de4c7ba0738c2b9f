import { expect } from 'vitest';
import { unlessDeclared, type CaseGroupFactory } from '../case.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const KEYS = 16;
const PER_KEY = 25;
const CONCURRENCY = 8;

/** Per-key order while handlers of different keys run concurrently. */
export const orderingCases: CaseGroupFactory = (info) => ({
  title: 'ordering',
  cases: [
    {
      id: 'per-key-order',
      name: `per-key order: ${KEYS} interleaved keys, two consumers of concurrency ${CONCURRENCY}, random handler delays: each key's sequence arrives complete and strictly increasing`,
      timeoutMs: 30_000,
      skip: unlessDeclared(info.capabilities.orderingByKey, 'per-key ordering'),
      run: perKeyOrder,
    },
  ],
});

async function perKeyOrder(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const perKey = new Map<string, number[]>(range(0, KEYS).map((k) => [`key-${k}`, []]));
  const active = [0, 0];
  let maxActive = 0;
  let total = 0;
  // Two consumers of the group: order must hold across them too (the transport routes a key to
  // one consumer at a time), and within each while handlers of other keys run concurrently.
  for (const c of [0, 1]) {
    await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: CONCURRENCY, orderedByKey: true }, message, async (item, ctx) => {
      active[c]!++;
      maxActive = Math.max(maxActive, active[c]!);
      try {
        await sleep(Math.floor(Math.random() * 4));
        perKey.get(ctx.envelope.key ?? '(none)')?.push(item.n);
        total++;
      } finally {
        active[c]!--;
      }
    });
  }
  const producer = (await env.client()).producer();
  // Each key's messages are published in order by its own publisher; keys interleave.
  await Promise.all(
    range(0, KEYS).map(async (k) => {
      for (const n of range(0, PER_KEY)) await producer.publish(message, { n, tag: `key-${k}` }, { key: `key-${k}` });
    }),
  );
  await waitFor(() => total >= KEYS * PER_KEY, env.ms(20_000), () => `${KEYS * PER_KEY} messages (${total})`);
  await sleep(env.ms(200));
  for (const [key, sequence] of perKey) expect(sequence, `sequence of ${key}`).toEqual(range(0, PER_KEY));
  expect(total).toBe(KEYS * PER_KEY);
  // Keys did run concurrently (order was not bought by running one at a time).
  expect(maxActive).toBeGreaterThan(1);
  expect(maxActive).toBeLessThanOrEqual(CONCURRENCY);
}
