import { describe, expect, it } from 'vitest';
import { CapabilityError, ConfigError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { GroupDeclaration, Transport } from '../spi/transport.ts';
import { createClient } from './client.ts';
import { guardTransport } from './guarded-transport.ts';

const message = (topic: string, id = 'm'): OutgoingMessage => ({ id, type: 't', topic, headers: {}, payload: new Uint8Array(0), timestamp: 0 });

function queueBroker(options: { fanOut?: boolean; failFirst?: boolean } = {}) {
  const calls: string[] = [];
  let fail = options.failFirst ?? false;
  const transport: Transport = {
    name: 'queues',
    capabilities: { orderingByKey: false, fanOut: options.fanOut ?? true, replay: [], delay: false, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 1000 },
    send: async (messages) => void calls.push(`send ${messages.map((m) => m.id).join(',')}`),
    subscribe: async () => ({ close: async () => undefined }),
    declareGroups: async (d: GroupDeclaration) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) {
        fail = false;
        throw new Error('broker unreachable');
      }
      calls.push(`declare ${d.topic}: ${d.groups.join(',')} dlq ${d.deadLetterTopic}`);
    },
    close: async () => undefined,
  };
  return { transport, calls };
}

describe('the client option `topics`', () => {
  it('declares a topic’s groups once, before its first send, and not for other topics', async () => {
    const { transport, calls } = queueBroker();
    const guarded = guardTransport(transport, { topics: { orders: { groups: ['billing', 'shipping', 'billing'] } } });
    await Promise.all([guarded.send([message('orders', 'a')]), guarded.send([message('orders', 'b')])]);
    await guarded.send([message('orders', 'c'), message('audit', 'd')]);
    await guarded.send([message('audit', 'e')]);
    expect(calls).toEqual(['declare orders: billing,shipping dlq orders.dlq', 'send a', 'send b', 'send c,d', 'send e']);
  });

  it('a declaration that fails fails the send and is tried again at the next one', async () => {
    const { transport, calls } = queueBroker({ failFirst: true });
    const guarded = guardTransport(transport, { topics: { orders: { groups: ['billing'] } } });
    await expect(guarded.send([message('orders', 'a')])).rejects.toThrow(/broker unreachable/);
    await guarded.send([message('orders', 'b')]);
    expect(calls).toEqual(['declare orders: billing dlq orders.dlq', 'send b']);
  });

  it('a transport without declareGroups (a log) sends at once', async () => {
    const { transport, calls } = queueBroker();
    const log: Transport = { ...transport, declareGroups: undefined };
    await guardTransport(log, { topics: { orders: { groups: ['billing'] } } }).send([message('orders')]);
    expect(calls).toEqual(['send m']);
  });

  it('refuses two groups of a topic at client creation without fan-out, naming the option', async () => {
    const { transport } = queueBroker({ fanOut: false });
    const error = await createClient(transport, { topics: { orders: { groups: ['billing', 'audit'] } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect((error as Error).message).toMatch(/queues transport does not support fan-out.*`topics\.orders\.groups` declares `billing`, `audit`/);
  });

  it('validates the option with errors that name the field', async () => {
    const { transport } = queueBroker();
    const bad = (topics: unknown) => createClient(transport, { topics } as never).then(
      () => {
        throw new Error('accepted');
      },
      (e: unknown) => e as ConfigError,
    );
    expect((await bad({ orders: { groups: [] } })).message).toMatch(/`client\.topics\.orders\.groups`.*at least one group/);
    expect((await bad({ orders: { group: 'billing' } })).message).toMatch(/`client\.topics\.orders/);
    expect((await bad({ orders: ['billing'] })).path).toBe('client.topics.orders');
  });

  it('a producer’s publish waits for the declaration (end to end through createClient)', async () => {
    const { transport, calls } = queueBroker();
    const client = await createClient(transport, { topics: { orders: { groups: ['billing'] } } });
    await client.producer().publishEnvelopes([message('orders', 'x')]);
    expect(calls).toEqual(['declare orders: billing dlq orders.dlq', 'send x']);
    await client.close();
  });
});
