// Core's bridge between two in-process brokers: what it copies, what it keeps, what it refuses.
import { bridge, createClient, defineMessage, HEADERS, type BridgeProgress, type Client, type Envelope, type Transport } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshBroker, until } from './test-support.ts';
import { MemoryTransport } from './transport.ts';

const Order = defineMessage('order.placed', z.object({ n: z.number(), blob: z.string().optional() }), { topic: 'orders' });

const clients: Client[] = [];
async function client(target: string | Transport): Promise<Client> {
  const c = await createClient(target);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** Every envelope of `topic` that reaches `group` on a broker. */
async function collect(broker: string, topic = 'orders', group = 'billing'): Promise<Envelope[]> {
  const seen: Envelope[] = [];
  const Message = defineMessage(Order.type, Order.schema, { topic });
  await (await client(`memory://${broker}`)).consumer({ group, concurrency: 8 }).handle(Message, (_o, ctx) => void seen.push(ctx.envelope)).start();
  return seen;
}

describe('bridge', () => {
  it('copies a stream keeping id, type, key, headers, payload and timestamp; the source is acked once copied', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const from = await client(`memory://${a}`);
    const producer = from.producer();
    for (let n = 0; n < 300; n++) await producer.publish(Order, { n }, { key: `k${n % 5}`, headers: { tenant: 'acme', n: String(n) } });
    const sent = await collect(a, 'orders', 'audit'); // what the source holds, as sent
    const arrived = await collect(b);
    const progress: BridgeProgress[] = [];
    const running = await bridge({ from, to: await client(`memory://${b}`), topics: ['orders'], batchSize: 32, onProgress: (p) => progress.push(p), progressIntervalMs: 20 });
    // More while it runs.
    for (let n = 300; n < 600; n++) await producer.publish(Order, { n }, { key: `k${n % 5}`, headers: { tenant: 'acme', n: String(n) } });
    await until(() => arrived.length >= 600 && sent.length >= 600);
    const final = await running.stop();
    expect(final).toMatchObject({ copied: 600, inFlight: 0, refused: 0, lag: 0 });
    expect(progress.some((p) => p.copied > 0 && p.rate > 0)).toBe(true);
    const byId = new Map(sent.map((e) => [e.id, e]));
    for (const copy of arrived) {
      const original = byId.get(copy.id)!;
      expect({ ...copy, payload: [...copy.payload] }).toEqual({ ...original, payload: [...original.payload] });
    }
    // Per key, the order it was published in.
    for (let k = 0; k < 5; k++) {
      const ns = arrived.filter((e) => e.key === `k${k}`).map((e) => Number(e.headers.n));
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
    }
    // Acked at the source: a second bridge of the same group finds nothing left.
    const again = await bridge({ from, to: await client(`memory://${b}`), topics: ['orders'], idleMs: 100 });
    expect((await again.done).copied).toBe(0);
  });

  it('maps topics, and dead-letters at the source what the destination refuses for good', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const from = await client(`memory://${a}`);
    const to = await client(new MemoryTransport({ broker: b, maxMessageBytes: 4_096 }));
    await from.producer().publish(Order, { n: 1 });
    await from.producer().publish(Order, { n: 2, blob: 'x'.repeat(10_000) }, { id: 'too-big' });
    await from.producer().publish(Order, { n: 3 });
    const arrived = await collect(b, 'orders-v2');
    const done = (await bridge({ from, to, topics: ['orders'], topicMap: { orders: 'orders-v2' }, idleMs: 150 })).done;
    expect(await done).toMatchObject({ copied: 2, refused: 1 });
    expect(arrived.map((e) => e.topic)).toEqual(['orders-v2', 'orders-v2']);
    const dead = await collect(a, 'orders.dlq', 'ferry-dead-letters');
    await until(() => dead.length === 1);
    expect(dead[0]!.id).toBe('too-big');
    expect(dead[0]!.headers[HEADERS.deadLetterKind]).toBe('bridge');
    expect(dead[0]!.headers[HEADERS.deadLetterReason]).toMatch(/destination \(memory\) refuses it: Message of \d+ bytes exceeds the memory transport's limit of 4096 bytes/);
  });

  it('refuses bad options naming them; an onProgress that throws is reported, not fatal', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const from = await client(`memory://${a}`);
    const to = await client(`memory://${b}`);
    await expect(bridge({ from, to, topics: [] })).rejects.toThrow(/`bridge\.topics`: name at least one topic/);
    await expect(bridge({ from, to, topics: ['orders'], batchSize: 0 })).rejects.toThrow(/`bridge\.batchSize`/);
    await from.producer().publish(Order, { n: 1 });
    const errors: unknown[] = [];
    const running = await bridge({ from, to, topics: ['orders'], idleMs: 100, progressIntervalMs: 10, onProgress: () => { throw new Error('printer broke'); }, onError: (e) => errors.push(e) });
    expect((await running.done).copied).toBe(1);
    expect(String(errors[0])).toMatch(/printer broke/);
  });

  it('holds messages while the destination fails and copies them once it is back; stop() gives the rest back to the source', async () => {
    const [a, b] = [freshBroker(), freshBroker()];
    const from = await client(`memory://${a}`);
    const inner = new MemoryTransport({ broker: b });
    let down = true;
    const flaky: Transport = { name: 'flaky', capabilities: inner.capabilities, send: (m) => (down ? Promise.reject(new Error('destination down')) : inner.send(m)), subscribe: (s, k) => inner.subscribe(s, k), close: () => inner.close() };
    for (let n = 0; n < 50; n++) await from.producer().publish(Order, { n });
    const errors: unknown[] = [];
    const running = await bridge({ from, to: await client(flaky), topics: ['orders'], maxInFlight: 20, onError: (e) => errors.push(e) });
    await until(() => errors.length >= 2);
    expect((await running.progress()).inFlight).toBe(20); // bounded: no more held than maxInFlight
    down = false;
    const arrived = await collect(b);
    await until(() => arrived.length >= 10);
    const stopped = await running.stop();
    // What was not copied when it stopped is copied by the next bridge of the group: nothing lost.
    const next = await bridge({ from, to: await client(flaky), topics: ['orders'], idleMs: 150 });
    const rest = await next.done;
    expect(stopped.copied + rest.copied).toBeGreaterThanOrEqual(50);
    await until(() => new Set(arrived.map((e) => e.id)).size === 50);
  });
});
