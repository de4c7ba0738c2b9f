import { describe, expect, it } from 'vitest';
import { CapabilityError, ClosedError, ConfigError, MessageTooLargeError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { SubscriptionSpec, Transport } from '../spi/transport.ts';
import { guardTransport } from './guarded-transport.ts';

/** Records the calls the guard lets through (a unit test of the guard: no broker behind it). */
function recorder(options: { subscribeDelayMs?: number } = {}) {
  const calls: string[] = [];
  const inner: Transport = {
    name: 'rec',
    capabilities: { orderingByKey: true, fanOut: true, replay: ['earliest'], delay: { maxMs: 1000 }, priority: { max: 9 }, nativeDeadLetter: false, transactions: false, maxMessageBytes: 100 },
    connect: async () => void calls.push('connect'),
    send: async (messages) => void calls.push(`send ${messages.map((m) => m.id).join(',')}`),
    subscribe: async (spec) => {
      await new Promise((r) => setTimeout(r, options.subscribeDelayMs ?? 0));
      calls.push(`subscribe ${spec.topic}`);
      return { stop: async () => void calls.push(`stop ${spec.topic}`), close: async () => void calls.push(`close ${spec.topic}`) };
    },
    close: async () => void calls.push('close transport'),
  };
  return { inner, calls };
}

const message = (id: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id, type: 't', topic: 'orders', headers: {}, payload: new Uint8Array(10), timestamp: 1, ...extra });
const spec = (extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({ topic: 'orders', group: 'g', maxInFlight: 4, start: { from: 'stored' }, deadLetterTopic: 'orders.dlq', handlerTimeoutMs: 1000, orderedByKey: false, delivery: 'at-least-once', ...extra });

describe('guardTransport', () => {
  it('refuses a batch with one message the capabilities exclude before anything of it is sent', async () => {
    const { inner, calls } = recorder();
    const t = guardTransport(inner);
    await expect(t.send([message('ok'), message('big', { payload: new Uint8Array(101) })])).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(t.send([message('p', { priority: 10 })])).rejects.toBeInstanceOf(CapabilityError);
    await expect(t.send([message('d', { delayMs: 1001 })])).rejects.toBeInstanceOf(CapabilityError);
    const empty = await t.send([message('e', { topic: '' })]).catch((e: unknown) => e);
    expect((empty as ConfigError).path).toBe('message.topic');
    expect(calls).toEqual([]);
    await t.send([message('a'), message('b', { priority: 9, delayMs: 1000 })]);
    expect(calls).toEqual(['send a,b']);
  });

  it('refuses a start position the transport does not replay from, and a spec it cannot honour', async () => {
    const { inner, calls } = recorder();
    const t = guardTransport(inner);
    await expect(t.subscribe(spec({ start: { from: 'timestamp', timestamp: 1 } }), () => undefined)).rejects.toThrow(/replay from a timestamp/);
    await expect(t.subscribe(spec({ maxInFlight: 0 }), () => undefined)).rejects.toMatchObject({ path: 'subscription.maxInFlight' });
    await expect(t.subscribe(spec({ group: '' }), () => undefined)).rejects.toMatchObject({ path: 'subscription.group' });
    expect(calls).toEqual([]);
    await t.subscribe(spec({ start: { from: 'earliest' } }), () => undefined);
    expect(calls).toEqual(['subscribe orders']);
  });

  it('close closes the open subscriptions first, once; every use after it is a ClosedError naming the transport', async () => {
    const { inner, calls } = recorder();
    const t = guardTransport(inner);
    const closedEarly = await t.subscribe(spec({ topic: 'a' }), () => undefined);
    await t.subscribe(spec({ topic: 'b' }), () => undefined);
    await closedEarly.close();
    await closedEarly.close();
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(calls).toEqual(['subscribe a', 'subscribe b', 'close a', 'close b', 'close transport']);
    for (const use of [() => t.send([message('x')]), () => t.connect!(), () => t.subscribe(spec(), () => undefined)]) {
      const error = await use().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClosedError);
      expect((error as Error).message).toContain('closed rec transport');
    }
    expect(calls).toHaveLength(5);
  });

  it('a subscription the adapter finishes after close began is closed at once, and the subscribe fails', async () => {
    const { inner, calls } = recorder({ subscribeDelayMs: 20 });
    const t = guardTransport(inner);
    const subscribing = t.subscribe(spec(), () => undefined).catch((e: unknown) => e);
    await t.close();
    expect(await subscribing).toBeInstanceOf(ClosedError);
    expect(calls).toEqual(['close transport', 'subscribe orders', 'close orders']);
  });

  it('guarding a guarded transport returns it', () => {
    const guarded = guardTransport(recorder().inner);
    expect(guardTransport(guarded)).toBe(guarded);
  });
});
