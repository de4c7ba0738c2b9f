import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Consumer } from './consumer.ts';
import { jsonCodec } from '../codec.ts';
import { defineMessage } from '../message.ts';
import { FerryError } from '../errors.ts';
import { scriptedTransport } from '../test-support/scripted-transport.ts';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import { silentLogger } from '../logging/logger.ts';

const ping = defineMessage('ping', z.object({ n: z.number() }));
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

function setup(failSubscribes = 0) {
  const scripted = scriptedTransport();
  const subscribe = scripted.transport.subscribe.bind(scripted.transport);
  let refusals = failSubscribes;
  let closed = 0;
  scripted.transport.subscribe = async (spec, sink) => {
    if (scripted.subscriptions.length > 0 && refusals-- > 0) throw new Error('broker unreachable');
    const inner = await subscribe(spec, sink);
    return { ...inner, close: async () => void closed++ };
  };
  const errors: unknown[] = [];
  const handled: number[] = [];
  const consumer = new Consumer(scripted.transport, jsonCodec, { group: 'g', restart: { initialDelayMs: 1, maxDelayMs: 5 }, hooks: { onError: (e) => void errors.push(e) } }, {
    defaultStore: new MemoryIdempotencyStore(),
    consumeMiddleware: () => [],
    publishMiddleware: () => [],
    logger: silentLogger,
  });
  consumer.handle(ping, (p) => void handled.push(p.n));
  return { ...scripted, consumer, errors, handled, closed: () => closed };
}

describe('a subscription that dies', () => {
  it('is reported, shows restarting, is closed and subscribed again with a fresh sink, and delivers again', async () => {
    const s = setup(2);
    await s.consumer.start();
    expect(s.consumer.health()).toMatchObject({ delivering: true, subscriptions: [{ topic: 'ping', state: 'delivering', restarts: 0 }] });
    const first = s.subscriptions[0]!.sink;
    first.fail(new FerryError('FERRY_TEST_DIED', 'consumer crashed'));
    expect(s.consumer.health().subscriptions[0]).toMatchObject({ state: 'restarting', lastError: { code: 'FERRY_TEST_DIED', message: 'consumer crashed' } });
    expect(s.consumer.health().delivering).toBe(false);
    await until(() => s.consumer.health().subscriptions[0]!.state === 'delivering');
    // The death and the two refused subscribes are reported; the dead subscription was closed.
    const codes = s.errors.map((e) => (e as FerryError).code);
    expect(codes).toEqual(['FERRY_SUBSCRIPTION_DIED', 'FERRY_SUBSCRIPTION_DIED', 'FERRY_SUBSCRIPTION_DIED']);
    expect(String((s.errors[1] as Error).message)).toContain('could not be subscribed again');
    expect(s.closed()).toBe(1);
    expect(s.subscriptions).toHaveLength(2);
    expect(s.subscriptions[1]!.sink).not.toBe(first);
    expect(first.stopped).toBe(true);
    expect(s.consumer.health().subscriptions[0]!.restarts).toBe(1);
    await s.deliver({ payload: { n: 7 } });
    expect(s.handled).toEqual([7]);
    await s.consumer.close();
    expect(s.consumer.health().subscriptions[0]!.state).toBe('stopped');
  });

  it('a second death of one subscription is reported once, and a death after close is ignored', async () => {
    const s = setup();
    await s.consumer.start();
    const sink = s.subscriptions[0]!.sink;
    sink.fail(new Error('one'));
    sink.fail(new Error('two'));
    await until(() => s.consumer.health().subscriptions[0]!.restarts === 1);
    expect(s.errors).toHaveLength(1);
    await s.consumer.close();
    s.subscriptions[1]!.sink.fail(new Error('late'));
    expect(s.errors).toHaveLength(1);
    expect(s.consumer.health().subscriptions[0]!.state).toBe('stopped');
  });

  it('stops trying when the consumer closes while it waits to subscribe again', async () => {
    const s = setup(1_000);
    await s.consumer.start();
    s.subscriptions[0]!.sink.fail(new Error('gone'));
    await until(() => s.errors.length >= 3);
    await s.consumer.close();
    const reported = s.errors.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(s.errors.length).toBe(reported);
    expect(s.consumer.health().subscriptions[0]!.state).toBe('stopped');
  });
});
