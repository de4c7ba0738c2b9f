import { describe, expect, it } from 'vitest';
import { CapabilityError, ClosedError, ConfigError, MessageTooLargeError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { SubscriptionSpec, Transport } from '../spi/transport.ts';
import { DeliveryGate } from '../consumer/delivery-gate.ts';
import { guardTransport } from './guarded-transport.ts';

/** Records the calls the guard lets through (a unit test of the guard: no broker behind it). */
function recorder(options: { subscribeDelayMs?: number; stopFails?: boolean } = {}) {
  const calls: string[] = [];
  const inner: Transport = {
    name: 'rec',
    capabilities: { orderingByKey: true, fanOut: true, replay: ['earliest'], delay: { maxMs: 1000 }, priority: { max: 9 }, nativeDeadLetter: false, transactions: false, maxMessageBytes: 100 },
    connect: async () => void calls.push('connect'),
    send: async (messages) => void calls.push(`send ${messages.map((m) => m.id).join(',')}`),
    subscribe: async (spec, sink) => {
      await new Promise((r) => setTimeout(r, options.subscribeDelayMs ?? 0));
      calls.push(`subscribe ${spec.topic}`);
      // One delivery, which core never settles: released when the subscription closes.
      sink.deliver({
        envelope: { id: `${spec.topic}-1`, type: 't', topic: spec.topic, headers: {}, payload: new Uint8Array(0), timestamp: 0 },
        attempt: 1,
        coordinates: {},
        ack: async () => void calls.push(`ack ${spec.topic}-1`),
        nack: async () => void calls.push(`nack ${spec.topic}-1`),
        release: async () => void calls.push(`release ${spec.topic}-1`),
      });
      return {
        stop: async () => {
          calls.push(`stop ${spec.topic}`);
          if (options.stopFails) throw new Error('cancel refused');
        },
        close: async () => void calls.push(`close ${spec.topic}`),
      };
    },
    close: async () => void calls.push('close transport'),
  };
  return { inner, calls };
}

const message = (id: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id, type: 't', topic: 'orders', headers: {}, payload: new Uint8Array(10), timestamp: 1, ...extra });
const sink = () => new DeliveryGate(4, () => undefined);
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
    await expect(t.subscribe(spec({ start: { from: 'timestamp', timestamp: 1 } }), sink())).rejects.toThrow(/replay from a timestamp/);
    await expect(t.subscribe(spec({ maxInFlight: 0 }), sink())).rejects.toMatchObject({ path: 'subscription.maxInFlight' });
    await expect(t.subscribe(spec({ group: '' }), sink())).rejects.toMatchObject({ path: 'subscription.group' });
    expect(calls).toEqual([]);
    await t.subscribe(spec({ start: { from: 'earliest' } }), sink());
    expect(calls).toEqual(['subscribe orders']);
  });

  it('close closes the open subscriptions first, once (stop, release what the gate holds, close); every use after it is a ClosedError naming the transport', async () => {
    const { inner, calls } = recorder();
    const t = guardTransport(inner);
    const closedEarly = await t.subscribe(spec({ topic: 'a' }), sink());
    await t.subscribe(spec({ topic: 'b' }), sink());
    await closedEarly.close();
    await closedEarly.close();
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(calls).toEqual(['subscribe a', 'subscribe b', 'stop a', 'release a-1', 'close a', 'stop b', 'release b-1', 'close b', 'close transport']);
    for (const use of [() => t.send([message('x')]), () => t.connect!(), () => t.subscribe(spec(), sink())]) {
      const error = await use().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClosedError);
      expect((error as Error).message).toContain('closed rec transport');
    }
    expect(calls).toHaveLength(9);
  });

  it('a subscription the adapter finishes after close began is closed at once, and the subscribe fails', async () => {
    const { inner, calls } = recorder({ subscribeDelayMs: 20 });
    const t = guardTransport(inner);
    const subscribing = t.subscribe(spec(), sink()).catch((e: unknown) => e);
    await t.close();
    expect(await subscribing).toBeInstanceOf(ClosedError);
    expect(calls).toEqual(['close transport', 'subscribe orders', 'stop orders', 'release orders-1', 'close orders']);
  });

  it("a subscription whose adapter stop fails is still released and closed", async () => {
    const { inner, calls } = recorder({ stopFails: true });
    const subscription = await guardTransport(inner).subscribe(spec(), sink());
    await expect(subscription.stop!()).rejects.toThrow('cancel refused');
    await subscription.close();
    expect(calls).toEqual(['subscribe orders', 'stop orders', 'release orders-1', 'close orders']);
  });

  it('guarding a guarded transport returns it', () => {
    const guarded = guardTransport(recorder().inner);
    expect(guardTransport(guarded)).toBe(guarded);
  });
});
