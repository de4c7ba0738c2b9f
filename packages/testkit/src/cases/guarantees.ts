import type { MessageContext } from '@ferry/core';
import { expect } from 'vitest';
import { unlessDeclared, type CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { InstrumentedTransport } from '../instrument.ts';
import { itemMessage, type Item, type ItemMessage } from '../messages.ts';
import { sleep, waitFor } from '../wait.ts';

/** A handler that "crashes": it never returns (the process died while running it). */
const hang = (): Promise<never> => new Promise<never>(() => undefined);

/** Delivery guarantees under a crash, per mode (the consume loop in core, on this transport). */
export const guaranteeCases: CaseGroupFactory = (info) => ({
  title: 'delivery guarantees',
  cases: [
    { id: 'amo-crash', name: 'at-most-once: a message whose handler crashed is not redelivered to the next consumer of the group', run: (env) => crash(env, 'at-most-once') },
    { id: 'alo-crash', name: 'at-least-once: a message whose handler crashed is redelivered to the next consumer of the group', run: (env) => crash(env, 'at-least-once') },
    {
      id: 'eo-transaction',
      name: 'exactly-once with transactions: what a handler publishes commits with its ack; a failed attempt publishes nothing',
      skip: unlessDeclared(info.capabilities.transactions, 'transactions'),
      run: transactional,
    },
    {
      id: 'eo-effects',
      name: 'exactly-once: a duplicate publish (same id), a crash mid-handler and an ack lost after the handler each end in exactly one effect (two processes, each with its own store instance)',
      timeoutMs: 30_000,
      perStore: true,
      run: exactlyOnce,
    },
  ],
});

/**
 * Consumer A takes the `crash` message and never finishes it; A is closed with no grace
 * (timeoutMs: 0), which releases what it held. Consumer B of the same group then starts.
 */
async function crash(env: CaseEnv, delivery: 'at-most-once' | 'at-least-once'): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const retry = delivery === 'at-most-once' ? undefined : env.retry(3);
  let crashedAt: number | undefined;
  const a = await env.consume(await env.client(), { group, delivery, ...(retry ? { retry } : {}) }, message, async (_item, ctx) => {
    crashedAt = ctx.attempt;
    await hang();
  });
  const producer = (await env.client()).producer();
  const crashId = await producer.publish(message, { n: 1, tag: 'crash' });
  await waitFor(() => crashedAt !== undefined, env.ms(10_000), () => 'consumer A to take the message');
  await a.close({ timeoutMs: 0 });

  const b = new Collector();
  await env.consume(await env.client(), { group, delivery, ...(retry ? { retry } : {}) }, message, b.handler('b'));
  const markerId = await producer.publish(message, { n: 2, tag: 'marker' });
  await waitFor(() => b.has(markerId), env.ms(15_000), () => `the marker at consumer B (${b.all.length} seen)`);
  await sleep(env.ms(300));
  expect(crashedAt).toBe(1);
  if (delivery === 'at-most-once') {
    expect(b.all.map((r) => r.id)).toEqual([markerId]);
  } else {
    expect(b.all.map((r) => r.id).sort()).toEqual([crashId, markerId].sort());
    const again = b.all.find((r) => r.id === crashId)!;
    expect(again.n).toBe(1);
    expect(again.attempt).toBeGreaterThanOrEqual(1);
  }
}

async function exactlyOnce(env: CaseEnv): Promise<void> {
  const message: ItemMessage = itemMessage(env.topic());
  const group = env.group();
  // Each "process" has its own store instance on one database; short lease so a crashed claim expires.
  const options = async () => ({ group, delivery: 'exactly-once' as const, retry: env.retry(3), concurrency: 4, idempotency: { store: await env.store(), leaseMs: env.ms(300) } });
  const effects = new Collector();
  let duplicates = 0;
  const effect = (consumer: string) => (item: Item, ctx: MessageContext) => void effects.record(item, ctx, consumer);

  // Process A: crashes in the middle of `mid-crash` (no effect yet) and loses the ack of `ack-lost`.
  const a = new InstrumentedTransport(await env.transport(), { loseAck: (d) => d.envelope.id === `ack-lost-${env.run}` });
  let aTook = 0;
  const consumerA = await env.consume(await env.wrap(a), { ...(await options()), hooks: { onDuplicate: () => void duplicates++ } }, message, async (item, ctx) => {
    aTook++;
    if (item.tag === 'mid-crash') await hang();
    effect('a')(item, ctx);
  });
  const producer = (await env.client()).producer();
  await producer.publish(message, { n: 1, tag: 'mid-crash' }, { id: `mid-crash-${env.run}` });
  await producer.publish(message, { n: 2, tag: 'ack-lost' }, { id: `ack-lost-${env.run}` });
  await waitFor(() => aTook >= 2 && effects.has(`ack-lost-${env.run}`), env.ms(10_000), () => `consumer A to take both messages (${aTook})`);
  await consumerA.close({ timeoutMs: 0 });

  // Process B: same group, its own instance of the store. Then the same message published twice.
  await env.consume(await env.client(), { ...(await options()), hooks: { onDuplicate: () => void duplicates++ } }, message, effect('b'));
  await producer.publish(message, { n: 3, tag: 'twice' }, { id: `twice-${env.run}` });
  await producer.publish(message, { n: 3, tag: 'twice' }, { id: `twice-${env.run}` });
  const ids = [`mid-crash-${env.run}`, `ack-lost-${env.run}`, `twice-${env.run}`];
  await waitFor(() => ids.every((id) => effects.has(id)), env.ms(15_000), () => effects.summary(ids));
  // The ack-lost copy and the second `twice` are dropped as duplicates.
  await waitFor(() => duplicates >= 1, env.ms(10_000), () => `the duplicate publish to be dropped (${duplicates} duplicates so far)`);
  await sleep(env.ms(500));
  expect(effects.duplicates()).toEqual([]);
  expect(effects.all.map((r) => r.id).sort()).toEqual([...ids].sort());
  expect(effects.all.find((r) => r.id === `mid-crash-${env.run}`)!.consumer).toBe('b');
  expect(effects.all.find((r) => r.id === `ack-lost-${env.run}`)!.consumer).toBe('a');
}

async function transactional(env: CaseEnv): Promise<void> {
  const input = itemMessage(env.topic('in'));
  const output = itemMessage(env.topic('out'));
  const outputs = new Collector();
  await env.consume(await env.client(), { group: env.group('out'), retry: env.retry(3) }, output, outputs.handler('out'));
  let attempts = 0;
  await env.consume(await env.client(), { group: env.group('in'), delivery: 'exactly-once', retry: env.retry(3, 10) }, input, async (item, ctx) => {
    attempts++;
    await ctx.publish(output, { n: item.n, tag: `attempt-${ctx.attempt}` });
    if (ctx.attempt === 1) throw new Error('fails after publishing: the publish must roll back');
  });
  await (await env.client()).producer().publish(input, { n: 5 });
  await waitFor(() => outputs.all.length >= 1, env.ms(15_000), () => `the transformed message (handler attempts: ${attempts})`);
  await sleep(env.ms(500));
  expect(attempts).toBe(2);
  expect(outputs.all.map((r) => [r.n, r.tag])).toEqual([[5, 'attempt-2']]);
}
