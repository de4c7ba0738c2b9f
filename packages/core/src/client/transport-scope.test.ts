import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NonRetryableError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import { DEAD_LETTER_GROUP } from '../spi/transport.ts';
import { scriptedTransport } from '../test-support/scripted-transport.ts';
import { createClient } from './client.ts';
import { nestScopes, type TransportScope } from './transport-scope.ts';

const Ping = defineMessage('ping', z.object({ n: z.number() }), { topic: 'pings' });

describe('transportScope (client.use)', () => {
  it("runs each delivery's handling, its settlement and its dead-letter copy inside the plugin's scope, and redrive's copies", async () => {
    const marks = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const { transport, deliver, subscriptions } = scriptedTransport({
      onSend: (messages) => seen.push(`send ${messages[0]!.topic}: ${marks.getStore() ?? 'outside'}`),
      onSettle: (what) => seen.push(`${what}: ${marks.getStore() ?? 'outside'}`),
    });
    const client = await createClient(transport);
    const scope: TransportScope = (work) => marks.run('plugin', work);
    client.use({ transportScope: scope });
    await client
      .consumer({ group: 'g' })
      .handle(Ping, (p) => {
        seen.push(`handler: ${marks.getStore() ?? 'outside'}`);
        if (p.n < 0) throw new NonRetryableError('bad');
      })
      .start();
    await deliver({ payload: { n: 1 } });
    await deliver({ payload: { n: -1 } });
    expect(seen).toEqual(['handler: plugin', 'ack: plugin', 'handler: plugin', 'send pings.dlq: plugin', 'ack: plugin']);

    seen.length = 0;
    const redriving = client.redrive({ deadLetterTopic: 'pings.dlq', idleMs: 50 });
    await new Promise((r) => setTimeout(r, 10));
    expect(subscriptions.at(-1)!.spec.group).toBe(DEAD_LETTER_GROUP);
    await deliver({ topic: 'pings.dlq', payload: { n: -1 }, headers: { 'ferry-original-topic': 'pings' } });
    expect(await redriving).toEqual({ redriven: 1, skipped: 0 });
    expect(seen[0]).toBe('send pings: plugin');
    await client.close();
  });

  it('adds nothing when no plugin gives one, and nests several (the first registered outermost)', async () => {
    const { transport, deliver } = scriptedTransport();
    const client = await createClient(transport);
    const order: string[] = [];
    await client.consumer({ group: 'g' }).handle(Ping, () => void order.push('handler')).start();
    await deliver({ payload: { n: 1 } });
    expect(order).toEqual(['handler']);
    const nested = nestScopes((w) => (order.push('outer'), w()), (w) => (order.push('inner'), w()))!;
    expect(nested(() => 42)).toBe(42);
    expect(order).toEqual(['handler', 'outer', 'inner']);
    await client.close();
  });
});
