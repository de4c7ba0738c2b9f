import type { ConsumerOptions } from '@ferry/core';
import { expect } from 'vitest';
import { unlessDeclared, type CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage, type ItemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

/** Replay: a group that has consumed everything reads it again from a chosen position. */
export const replayCases: CaseGroupFactory = (info) => {
  const has = (kind: 'earliest' | 'offset' | 'timestamp') => info.capabilities.replay.includes(kind);
  return {
    title: 'replay',
    cases: [
      { id: 'replay-earliest', name: 'replay from earliest: a group that consumed 10 messages gets all 10 again, in order', skip: unlessDeclared(has('earliest'), 'replay from earliest'), run: fromEarliest },
      { id: 'replay-offset', name: 'replay from an offset: the group gets exactly the messages from that offset on, in order', skip: unlessDeclared(has('offset'), 'replay from an offset'), run: fromOffset },
      { id: 'replay-timestamp', name: 'replay from a timestamp: the group gets exactly the messages published after it, in order', skip: unlessDeclared(has('timestamp'), 'replay from a timestamp'), run: fromTimestamp },
    ],
  };
};

interface Consumed {
  readonly message: ItemMessage;
  readonly group: string;
  readonly ids: string[];
  readonly first: Collector;
}

/** Publishes `batches` (with one key, so one partition), each after `before`, and lets a group consume all of it. */
async function consumeAll(env: CaseEnv, batches: number[][], before: (batch: number) => Promise<void> = async () => undefined): Promise<Consumed> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const first = new Collector();
  const consumer = await env.consume(await env.client(), { group, retry: env.retry(3) }, message, first.handler('first'));
  const producer = (await env.client()).producer();
  const ids: string[] = [];
  for (const [b, batch] of batches.entries()) {
    await before(b);
    for (const n of batch) ids.push(await producer.publish(message, { n }, { key: 'one-partition' }));
  }
  await waitFor(() => first.unique >= ids.length, env.ms(10_000), () => first.summary(ids));
  await consumer.close();
  return { message, group, ids, first };
}

async function replayFrom(env: CaseEnv, consumed: Consumed, start: NonNullable<ConsumerOptions['start']>, expected: number): Promise<Collector> {
  const again = new Collector();
  await env.consume(await env.client(), { group: consumed.group, retry: env.retry(3), start }, consumed.message, again.handler('again'));
  await waitFor(() => again.all.length >= expected, env.ms(10_000), () => `${expected} replayed messages (${again.all.length})`);
  await sleep(env.ms(300));
  return again;
}

async function fromEarliest(env: CaseEnv): Promise<void> {
  const consumed = await consumeAll(env, [range(0, 10)]);
  const again = await replayFrom(env, consumed, { from: 'earliest' }, 10);
  expect(again.all.map((r) => r.id)).toEqual(consumed.ids);
  expect(again.all.map((r) => r.n)).toEqual(range(0, 10));
}

async function fromOffset(env: CaseEnv): Promise<void> {
  const consumed = await consumeAll(env, [range(0, 10)]);
  const fifth = consumed.first.all.find((r) => r.n === 4)!;
  // The offset to replay from is the one the transport reported for the fifth message.
  const offset = Number(fifth.coordinates['offset']);
  const partition = fifth.coordinates['partition'] === undefined ? undefined : Number(fifth.coordinates['partition']);
  expect(Number.isSafeInteger(offset), `deliveries of a transport that replays from offsets carry an integer \`offset\` coordinate (got ${JSON.stringify(fifth.coordinates)})`).toBe(true);
  const again = await replayFrom(env, consumed, partition === undefined ? { from: 'offset', offset } : { from: 'offset', offset, partition }, 6);
  expect(again.all.map((r) => r.n)).toEqual(range(4, 10));
  expect(again.all.map((r) => r.id)).toEqual(consumed.ids.slice(4));
}

async function fromTimestamp(env: CaseEnv): Promise<void> {
  let boundary = 0;
  const consumed = await consumeAll(env, [range(0, 5), range(5, 10)], async (batch) => {
    if (batch === 1) {
      await sleep(env.ms(100));
      boundary = Date.now();
      await sleep(env.ms(100));
    }
  });
  const again = await replayFrom(env, consumed, { from: 'timestamp', timestamp: boundary }, 5);
  expect(again.all.map((r) => r.n)).toEqual(range(5, 10));
  expect(again.all.map((r) => r.id)).toEqual(consumed.ids.slice(5));
}
