import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../client/client.ts';
import { defineMessage } from '../message.ts';
import { scriptedTransport } from '../test-support/scripted-transport.ts';
import { PendingAcks } from './pending-acks.ts';

const Ping = defineMessage('ping', z.object({ n: z.number() }), { topic: 'pings' });

/** An ack the test completes by hand. */
function heldAck() {
  let complete!: () => void;
  const done = new Promise<void>((resolve) => (complete = resolve));
  return { ack: () => done, complete };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('PendingAcks', () => {
  it('keeps up to its limit, hands back the rest to wait for, and is idle once all completed', async () => {
    const acks = new PendingAcks(2);
    const a = heldAck();
    const b = heldAck();
    const c = heldAck();
    expect(acks.offer(a.ack())).toBeUndefined();
    expect(acks.offer(b.ack())).toBeUndefined();
    const third = c.ack();
    expect(acks.offer(third)).toBe(third);
    expect(acks.size).toBe(2);
    let idle = false;
    void acks.idle().then(() => (idle = true));
    a.complete();
    await tick();
    expect([acks.size, idle]).toEqual([1, false]);
    b.complete();
    await tick();
    expect([acks.size, idle]).toEqual([0, true]);
  });

  it('counts a batch by its messages, and takes one larger than the limit only when nothing is pending', async () => {
    const acks = new PendingAcks(10);
    const batch = heldAck();
    expect(acks.offer(batch.ack(), 25)).toBeUndefined();
    expect(acks.size).toBe(25);
    const next = heldAck().ack();
    expect(acks.offer(next, 1)).toBe(next);
    batch.complete();
    await tick();
    expect(acks.size).toBe(0);
  });
});

describe('a handled message whose ack is still completing', () => {
  it('frees its handler slot: the next message runs meanwhile, and close waits for the ack', async () => {
    const { transport, deliver } = scriptedTransport();
    const client = await createClient(transport);
    const handled: number[] = [];
    const consumer = client.consumer({ group: 'g', concurrency: 1 }).handle(Ping, (p) => void handled.push(p.n));
    await consumer.start();
    const slow = heldAck();
    const first = deliver({ id: 'm-1', payload: { n: 1 }, ack: slow.ack });
    void deliver({ id: 'm-2', payload: { n: 2 } });
    await tick();
    // One handler at a time, and the first's ack has not completed: the second ran anyway.
    expect(handled).toEqual([1, 2]);
    let closed = false;
    const closing = consumer.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    slow.complete();
    expect(await first).toBe('ack');
    await closing;
    await client.close();
  });

  it('holds the slot under key order: a key does not overtake its own message still acking', async () => {
    const { transport, deliver } = scriptedTransport({ orderingByKey: true });
    const client = await createClient(transport);
    const handled: number[] = [];
    const consumer = client.consumer({ group: 'g', concurrency: 4, orderedByKey: true }).handle(Ping, (p) => void handled.push(p.n));
    await consumer.start();
    const slow = heldAck();
    const first = deliver({ id: 'm-1', key: 'k', payload: { n: 1 }, ack: slow.ack });
    const second = deliver({ id: 'm-2', key: 'k', payload: { n: 2 } });
    await tick();
    expect(handled).toEqual([1]);
    slow.complete();
    await Promise.all([first, second]);
    expect(handled).toEqual([1, 2]);
    await client.close();
  });

  it('frees a batch handler: the next batch runs while the last one is acking, and close waits', async () => {
    const { transport, deliver } = scriptedTransport();
    const client = await createClient(transport);
    const batches: number[][] = [];
    const consumer = client
      .consumer({ group: 'g', concurrency: 2 })
      .handleBatch(Ping, (items) => void batches.push(items.map((item) => item.payload.n)), { maxSize: 2, maxWaitMs: 1 });
    await consumer.start();
    const slow = heldAck();
    const first = deliver({ id: 'm-1', payload: { n: 1 }, ack: slow.ack });
    const rest = [2, 3, 4].map((n) => deliver({ id: `m-${n}`, payload: { n } }));
    await tick();
    // One batch at a time (concurrency 2, maxSize 2), and the first batch's acks have not completed.
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    let closed = false;
    const closing = consumer.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    slow.complete();
    expect(await Promise.all([first, ...rest])).toEqual(['ack', 'ack', 'ack', 'ack']);
    await closing;
    await client.close();
  });
});
