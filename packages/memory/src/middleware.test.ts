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
