// A batch handler's fast path (core's batch-lane.ts) on this transport: what it hands to the
// per-message path (failed batches, timeouts; unreadable messages: direct-handle.test.ts) and what
// close does with what it holds. The conformance suite's "batch handlers" cases run it on every broker.
import { defineMessage, HandlerTimeoutError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshBroker, until, sleep, clientsClosedAfterEach } from './test-support.ts';

const client = clientsClosedAfterEach();

const Row = defineMessage('row', z.object({ n: z.number() }), { topic: 'rows' });

describe('batch handler fast path', () => {
  it('a batch past handlerTimeoutMs fails: its signals are aborted and its messages retried', async () => {
    const c = await client(freshBroker());
    const calls: Array<{ attempts: number[]; aborted: () => boolean }> = [];
    const errors: unknown[] = [];
    const consumer = c
      .consumer({ group: 'g', concurrency: 10, handlerTimeoutMs: 200, retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 10 }, hooks: { onRetry: (_ctx, error) => void errors.push(error) } })
      .handleBatch(
        Row,
        (items) => {
          const signals = items.map((i) => i.ctx.signal);
          calls.push({ attempts: items.map((i) => i.ctx.attempt), aborted: () => signals.every((s) => s.aborted) });
          // The first call never finishes.
          if (calls.length === 1) return new Promise<void>(() => undefined);
        },
        { maxSize: 10, maxWaitMs: 20 },
      );
    await consumer.start();
    const producer = c.producer();
    for (let n = 0; n < 5; n++) await producer.publish(Row, { n });
    await until(() => calls.reduce((sum, call) => sum + call.attempts.length, 0) >= 10);
    expect(calls[0]!.attempts).toEqual([1, 1, 1, 1, 1]);
    expect(calls[0]!.aborted()).toBe(true);
    expect(calls.slice(1).flatMap((call) => call.attempts)).toEqual([2, 2, 2, 2, 2]);
    expect(errors).toHaveLength(5);
    expect(errors.every((e) => e instanceof HandlerTimeoutError)).toBe(true);
  });

  it('close lets started and queued batches finish, and what it holds past the deadline comes back to the group', async () => {
    const broker = freshBroker();
    const c = await client(broker);
    const handled: number[] = [];
    const first = c
      .consumer({ group: 'g', concurrency: 20, prefetch: 200 })
      .handleBatch(Row, async (items) => {
        await sleep(30);
        // A handler told to stop (close past its deadline) records nothing: its messages come back.
        if (!items[0]!.ctx.signal.aborted) handled.push(...items.map((i) => i.payload.n));
      }, { maxSize: 20, maxWaitMs: 5 });
    await first.start();
    const producer = c.producer();
    await producer.publishBatch(Array.from({ length: 400 }, (_, n) => ({ message: Row, payload: { n } })));
    await until(() => handled.length > 0);
    // Too short for everything held: some batches finish, the rest is released.
    await first.close({ timeoutMs: 100 });
    const afterClose = handled.length;
    const second = c.consumer({ group: 'g', concurrency: 20 }).handleBatch(Row, (items) => void handled.push(...items.map((i) => i.payload.n)), { maxSize: 20, maxWaitMs: 5 });
    await second.start();
    await until(() => new Set(handled).size === 400);
    const lost = Array.from({ length: 400 }, (_, n) => n).filter((n) => !handled.includes(n));
    const duplicated = handled.length - new Set(handled).size;
    expect({ lost, duplicated, afterCloseBelow400: afterClose < 400 }).toEqual({ lost: [], duplicated: 0, afterCloseBelow400: true });
  });

  it('middleware of the consumer runs per message, so a batch handler with middleware takes the per-message path', async () => {
    const c = await client(freshBroker());
    const seen: string[] = [];
    const handled: number[] = [];
    const consumer = c
      .consumer({ group: 'g', concurrency: 10, middleware: [(next) => (ctx) => (seen.push(ctx.envelope.id), next(ctx))] })
      .handleBatch(Row, (items) => void handled.push(...items.map((i) => i.payload.n)), { maxSize: 10, maxWaitMs: 20 });
    await consumer.start();
    const producer = c.producer();
    const ids = await producer.publishBatch(Array.from({ length: 25 }, (_, n) => ({ message: Row, payload: { n } })));
    await until(() => handled.length === 25);
    expect(seen.sort()).toEqual([...ids].sort());
  });
});
