// A handler's fast path (core's direct-handle.ts) on this transport: what it hands to the chain
// (unreadable messages, failures, timeouts) and what a handler's ctx asks of it. The conformance
// suite's cases run it on every broker (their consumers have no middleware).
import { defineMessage, HandlerTimeoutError, NonRetryableError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshBroker, until, sleep, clientsClosedAfterEach, sendTenAndTwoUnreadable } from './test-support.ts';

const client = clientsClosedAfterEach();

const Row = defineMessage('row', z.object({ n: z.number() }), { topic: 'rows' });

describe('direct handling', () => {
  // The batch lane (batch-lane.ts) hands such messages to the chain the same way.
  it.each(['handle', 'handleBatch'] as const)('%s: a message that fails its schema or cannot be decoded is dead-lettered alone; the others are handled once', async (how) => {
    const broker = freshBroker();
    const c = await client(broker);
    const handled: number[] = [];
    const dead: string[] = [];
    const consumer = c.consumer({ group: 'g', concurrency: 50, retry: { attempts: 1 }, hooks: { onDeadLetter: (ctx) => void dead.push(ctx.envelope.id) } });
    if (how === 'handle') consumer.handle(Row, (payload) => void handled.push(payload.n));
    else consumer.handleBatch(Row, (items) => void handled.push(...items.map((i) => i.payload.n)), { maxSize: 50, maxWaitMs: 20 });
    await consumer.start();
    await sendTenAndTwoUnreadable(broker, 'rows', Row.type);
    await until(() => handled.length === 10 && dead.length === 2);
    await sleep(100);
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, n) => n));
    expect(dead.sort()).toEqual(['bad-bytes', 'bad-schema']);
  });

  it('a failed first attempt is retried at attempt 2; a NonRetryableError is dead-lettered with its reason', async () => {
    const c = await client(freshBroker());
    const attempts = new Map<number, number[]>();
    const reasons: string[] = [];
    const consumer = c
      .consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 5 }, hooks: { onDeadLetter: (_ctx, error) => void reasons.push((error as Error).message) } })
      .handle(Row, (payload, ctx) => {
        attempts.set(payload.n, [...(attempts.get(payload.n) ?? []), ctx.attempt]);
        if (payload.n === 7) throw new NonRetryableError('item 7 is poison');
        if (payload.n % 2 === 0 && ctx.attempt === 1) throw new Error('transient');
      });
    await consumer.start();
    const producer = c.producer();
    for (let n = 0; n < 10; n++) await producer.publish(Row, { n });
    await until(() => attempts.size === 10 && reasons.length === 1 && [0, 2, 4, 6, 8].every((n) => attempts.get(n)!.length === 2));
    await sleep(100);
    for (let n = 0; n < 10; n++) expect(attempts.get(n), `attempts of ${n}`).toEqual(n % 2 === 0 ? [1, 2] : [1]);
    expect(reasons).toEqual(['item 7 is poison']);
  });

  it('a handler past handlerTimeoutMs fails: its signal is aborted and the message retried', async () => {
    const c = await client(freshBroker());
    const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
    const errors: unknown[] = [];
    const consumer = c
      .consumer({ group: 'g', handlerTimeoutMs: 100, retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 5 }, hooks: { onRetry: (_ctx, error) => void errors.push(error) } })
      .handle(Row, (_payload, ctx) => {
        calls.push({ attempt: ctx.attempt, signal: ctx.signal });
        if (ctx.attempt === 1) return new Promise<void>(() => undefined);
      });
    await consumer.start();
    await c.producer().publish(Row, { n: 1 });
    await until(() => calls.length === 2);
    expect(calls.map((call) => call.attempt)).toEqual([1, 2]);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HandlerTimeoutError);
  });

  it('what a handler registers with ctx.onCommit runs before its ack', async () => {
    const c = await client(freshBroker());
    const committed: number[] = [];
    const consumer = c.consumer({ group: 'g' }).handle(Row, (payload, ctx) => ctx.onCommit(async () => void committed.push(payload.n)));
    await consumer.start();
    const producer = c.producer();
    for (let n = 0; n < 5; n++) await producer.publish(Row, { n });
    await until(() => committed.length === 5);
    await sleep(100);
    expect(committed.sort()).toEqual([0, 1, 2, 3, 4]);
    expect((await consumer.lag()).map((l) => l.messages)).toEqual([0]);
  });
});
