// Core's mirror (mirrorTransport, createClient([a, b])) over two in-process brokers.
import { createClient, defineMessage, MemoryIdempotencyStore, MirrorPublishError, mirrorTransport, type Client, type Transport } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshBroker, until } from './test-support.ts';
import { MemoryTransport } from './transport.ts';

const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic: 'orders' });

const clients: Client[] = [];
async function client(target: Parameters<typeof createClient>[0], options: Parameters<typeof createClient>[1] = {}): Promise<Client> {
  const c = await createClient(target, options);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** Reads every message of `orders` for `group` on one broker. */
async function received(broker: string, group: string): Promise<string[]> {
  const ids: string[] = [];
  await (await client(`memory://${broker}`)).consumer({ group }).handle(Order, (_o, ctx) => void ids.push(ctx.envelope.id)).start();
  return ids;
}

describe('mirror', () => {
  it('createClient([a, b]) publishes every message to both brokers, keeping its id, key and headers', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const mirror = await client([`memory://${a}`, `memory://${b}`]);
    expect(mirror.transport.name).toBe('mirror(memory, memory)');
    const ids = await mirror.producer().publishBatch([1, 2, 3].map((n) => ({ message: Order, payload: { n }, options: { key: `k${n}`, headers: { tenant: 'acme' } } })));
    const [onA, onB] = [await received(a, 'billing'), await received(b, 'billing')];
    await until(() => onA.length === 3 && onB.length === 3);
    expect(onA).toEqual(ids);
    expect(onB).toEqual(ids);
  });

  it('offers what both brokers can do, with the smaller limits, and no transactions', async () => {
    const small = new MemoryTransport({ broker: freshBroker(), maxMessageBytes: 2_000 });
    const other: Transport = new MemoryTransport({ broker: freshBroker() });
    const narrow: Transport = { ...other, name: 'narrow', capabilities: { ...other.capabilities, replay: ['earliest'], delay: { maxMs: 900_000 }, priority: false, fanOut: false }, send: (m) => other.send(m), subscribe: (s, k) => other.subscribe(s, k), close: () => other.close() };
    const mirror = await client(mirrorTransport(small, narrow));
    expect(mirror.capabilities).toEqual({ orderingByKey: true, fanOut: false, replay: ['earliest'], delay: { maxMs: 900_000 }, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 2_000 });
    await expect(mirror.producer().publish(Order, { n: 1 }, { priority: 3 })).rejects.toThrow(/mirror\(memory, narrow\) transport does not support message priority/);
  });

  it('a publish one broker refuses rejects naming it and the broker that has the message; nothing is reported sent', async () => {
    const good = new MemoryTransport({ broker: freshBroker() });
    const down: Transport = { ...good, name: 'down', send: async () => Promise.reject(new Error('connection refused')), subscribe: (s, k) => good.subscribe(s, k), close: async () => undefined };
    const mirror = await client(mirrorTransport(good, down));
    const error = await mirror.producer().publish(Order, { n: 1 }, { id: 'o-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MirrorPublishError);
    expect((error as MirrorPublishError).failed).toEqual(['down']);
    expect((error as MirrorPublishError).accepted).toEqual(['memory']);
    expect((error as Error).message).toMatch(/refused by down: connection refused\. memory accepted it: publish again with the same id/);
  });

  it('a consumer reads both brokers; with a shared store each message has one effect, whichever broker had it first', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    // Before the cut-over: some messages only on a, some only on b; then mirrored ones on both.
    await (await client(`memory://${a}`)).producer().publish(Order, { n: 1 }, { id: 'only-a' });
    await (await client(`memory://${b}`)).producer().publish(Order, { n: 2 }, { id: 'only-b' });
    const mirror = await client([`memory://${a}`, `memory://${b}`]);
    for (let n = 3; n < 23; n++) await mirror.producer().publish(Order, { n }, { id: `both-${n}` });
    const effects = new Map<string, number>();
    const store = new MemoryIdempotencyStore();
    const reader = await client([`memory://${a}`, `memory://${b}`], { idempotencyStore: store });
    await reader
      .consumer({ group: 'billing', delivery: 'exactly-once', concurrency: 4 })
      .handle(Order, (_o, ctx) => void effects.set(ctx.envelope.id, (effects.get(ctx.envelope.id) ?? 0) + 1))
      .start();
    await until(() => effects.size === 22);
    await new Promise((r) => setTimeout(r, 50));
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    expect(effects.has('only-a') && effects.has('only-b')).toBe(true);
  });

  it('closing the mirror client gives held deliveries back on both brokers', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const mirror = await client([`memory://${a}`, `memory://${b}`]);
    await mirror.producer().publish(Order, { n: 1 }, { id: 'held' });
    let started = 0;
    const slow = await createClient([`memory://${a}`, `memory://${b}`]);
    await slow.consumer({ group: 'billing', concurrency: 2 }).handle(Order, () => {
      started++;
      return new Promise<void>(() => undefined); // never finishes: released at close
    }).start();
    await until(() => started === 2);
    await slow.close({ timeoutMs: 50 });
    // Each broker hands it to the group again.
    const [onA, onB] = [await received(a, 'billing'), await received(b, 'billing')];
    await until(() => onA.length === 1 && onB.length === 1);
  });

  it('refuses one options object for two targets, and a list for one', async () => {
    await expect(createClient(['memory://x', 'memory://y'], { transport: { maxMessageBytes: 10 } })).rejects.toThrow(/`client\.transport`.*one options object per target/);
    await expect(createClient('memory://x', { transport: [{}, {}] })).rejects.toThrow(/`client\.transport`: is a list/);
    const ok = await client(['memory://x', 'memory://y'], { transport: [{ maxMessageBytes: 5_000 }, {}] });
    expect(ok.capabilities.maxMessageBytes).toBe(5_000);
  });
});
