import type { MessageContext } from '@ferry/core';
import { expect } from 'vitest';
import { unlessDeclared, type CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage, type Item } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const COUNT = 200;

/** Competing consumers within a group; fan-out across groups. */
export const groupCases: CaseGroupFactory = (info) => ({
  title: 'consumer groups',
  cases: [
    { id: 'competing', name: `two consumers of one group split ${COUNT} messages: both get some, together exactly all, none twice`, run: competing },
    { id: 'fan-out', name: `two groups each receive all ${COUNT} messages exactly once`, skip: unlessDeclared(info.capabilities.fanOut, 'fan-out'), run: fanOut },
  ],
});

async function publishKeyed(env: CaseEnv, message: ReturnType<typeof itemMessage>): Promise<string[]> {
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  // 32 keys spread the messages over partitions on partitioned brokers.
  for (const n of range(0, COUNT)) ids.push(await producer.publish(message, { n }, { key: `key-${n % 32}` }));
  return ids;
}

async function competing(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const collector = new Collector();
  const slowly = (name: string) => async (item: Item, ctx: MessageContext) => {
    collector.record(item, ctx, name);
    await sleep(1);
  };
  await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 2 }, message, slowly('one'));
  await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 2 }, message, slowly('two'));
  const ids = await publishKeyed(env, message);
  await waitFor(() => collector.unique >= COUNT, env.ms(15_000), () => collector.summary(ids));
  await sleep(env.ms(200));
  expect(collector.missing(ids)).toEqual([]);
  expect(collector.duplicates()).toEqual([]);
  expect(collector.all).toHaveLength(COUNT);
  const split = collector.byConsumer();
  expect(split.get('one') ?? 0, `split ${JSON.stringify([...split])}`).toBeGreaterThan(0);
  expect(split.get('two') ?? 0, `split ${JSON.stringify([...split])}`).toBeGreaterThan(0);
}

async function fanOut(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const first = new Collector();
  const second = new Collector();
  await env.consume(await env.client(), { group: env.group('first'), retry: env.retry(3), concurrency: 4 }, message, first.handler('first'));
  await env.consume(await env.client(), { group: env.group('second'), retry: env.retry(3), concurrency: 4 }, message, second.handler('second'));
  const ids = await publishKeyed(env, message);
  await waitFor(() => first.unique >= COUNT && second.unique >= COUNT, env.ms(15_000), () => `first: ${first.summary(ids)}; second: ${second.summary(ids)}`);
  await sleep(env.ms(200));
  for (const c of [first, second]) {
    expect(c.missing(ids)).toEqual([]);
    expect(c.duplicates()).toEqual([]);
    expect(c.all).toHaveLength(COUNT);
  }
}
