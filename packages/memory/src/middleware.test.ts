// Named middleware steps and the publish stack, end to end on this transport.
import { createClient, defineMessage, type Client, type Middleware, type PublishMiddleware } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker, until } from './test-support.ts';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const In = defineMessage('in', z.object({ n: z.number() }), { topic: 'in' });
const Out = defineMessage('out', z.object({ n: z.number() }), { topic: 'out' });

describe('middleware on the memory transport', () => {
  it('client.use adds consume and publish middleware; ctx.publish in a handler goes through the publish stack', async () => {
    const broker = freshBroker();
    const client = await createClient(new MemoryTransport({ broker }));
    clients.push(client);
    const stamp: PublishMiddleware = (next) => (messages) => next(messages.map((m) => ({ ...m, headers: { ...m.headers, stamped: m.type } })));
    const seenBeforeDecode: string[] = [];
    const spy: Middleware = (next) => (ctx) => {
      seenBeforeDecode.push(`${ctx.envelope.type}:${ctx.payload === undefined ? 'raw' : 'decoded'}`);
      return next(ctx);
    };
    client.use({ publish: [stamp], consume: [{ middleware: spy, before: 'decode' }] });
    const outs: Array<Record<string, string>> = [];
    await client.consumer({ group: 'transform' }).handle(In, (msg, ctx) => ctx.publish(Out, { n: msg.n * 2 })).start();
    await client.consumer({ group: 'sink' }).handle(Out, (_m, ctx) => void outs.push({ ...ctx.envelope.headers })).start();
    await client.producer().publish(In, { n: 1 });
    await until(() => outs.length === 1);
    expect(outs[0]!.stamped).toBe('out');
    expect(seenBeforeDecode.sort()).toEqual(['in:raw', 'out:raw']);
  });

  it('refuses a misplaced consumer middleware when the consumer is created, naming the entry', async () => {
    const client = await createClient(new MemoryTransport({ broker: freshBroker() }));
    clients.push(client);
    expect(() => client.consumer({ group: 'g', middleware: [{ middleware: (next) => next, after: 'hander' }] })).toThrow(/consumer\.middleware\[0\]\.after.*no step named "hander".*handler/);
  });
});

describe('publishEnvelopes on the memory transport', () => {
  it('sends messages built elsewhere as they are (id, key, headers, timestamp), through the publish stack', async () => {
    const broker = freshBroker();
    const client = await createClient(new MemoryTransport({ broker, maxMessageBytes: 1024 }));
    clients.push(client);
    const seen: Array<{ id: string; key: string | undefined; headers: Record<string, string>; timestamp: number; n: number }> = [];
    await client.consumer({ group: 'g' }).handle(In, (m, ctx) => void seen.push({ id: ctx.envelope.id, key: ctx.envelope.key, headers: { ...ctx.envelope.headers }, timestamp: ctx.envelope.timestamp, n: m.n })).start();
    const stamp: PublishMiddleware = (next) => (messages) => next(messages.map((m) => ({ ...m, headers: { ...m.headers, relayed: 'yes' } })));
    const producer = client.producer({ middleware: [stamp] });
    const envelope = { id: 'row-42', type: 'in', topic: 'in', key: 'k1', headers: { 'ferry-content-type': 'application/json', origin: 'outbox' }, payload: new TextEncoder().encode('{"n":7}'), timestamp: 1_700_000_000_000 };
    await producer.publishEnvelopes([envelope]);
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual({ id: 'row-42', key: 'k1', headers: expect.objectContaining({ origin: 'outbox', relayed: 'yes' }), timestamp: 1_700_000_000_000, n: 7 });
    await expect(producer.publishEnvelopes([{ ...envelope, id: 'big', payload: new Uint8Array(2048) }])).rejects.toMatchObject({ code: 'FERRY_MESSAGE_TOO_LARGE' });
  });
});
