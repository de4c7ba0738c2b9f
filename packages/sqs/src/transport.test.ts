import { describe, expect, it } from 'vitest';
import { CapabilityError, ClosedError, MessageTooLargeError, type OutgoingMessage } from '@ferry/core';
import { guardTransport, openSubscription } from '@ferry/core/spi';
import { SqsTransport } from './transport.ts';

// No request leaves these tests: everything checked here is refused before a send, by core's guard
// (capabilities, close) or by the adapter (SQS's wire size, FIFO delay).
const transport = (options: Record<string, unknown> = {}) => guardTransport(new SqsTransport(new URL('sqs://us-east-1?endpoint=http://127.0.0.1:1'), { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, ...options }));
const message = (extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id: 'm1', type: 'x', topic: 'orders', headers: {}, payload: new Uint8Array(10), timestamp: 1, ...extra });

describe('SqsTransport refusals and capabilities', () => {
  it('declares what SQS does: no fan-out, replay or priority; delay up to 15 minutes; key order only with FIFO topics', () => {
    expect(transport().capabilities).toEqual({
      orderingByKey: false,
      fanOut: false,
      replay: [],
      delay: { maxMs: 900_000 },
      priority: false,
      nativeDeadLetter: true,
      transactions: false,
      maxMessageBytes: 1_048_576 - 2048,
    });
    expect(transport({ fifoTopics: ['orders'] }).capabilities.orderingByKey).toBe(true);
    expect(transport({ maxMessageBytes: 262_144 }).capabilities.maxMessageBytes).toBe(262_144 - 2048);
  });

  it('refuses, before sending, a message over the size limit with the limit in the error', async () => {
    const t = transport({ maxMessageBytes: 262_144 });
    const error = await t.send([message({ payload: new Uint8Array(262_144) })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as Error).message).toContain(String(262_144 - 2048));
    // Headers that grow when escaped for SQS are caught by the wire size too.
    const escaped = await t.send([message({ payload: new Uint8Array(0), headers: { h: '\u0001'.repeat(200_000) } })]).catch((e: unknown) => e);
    expect(escaped).toBeInstanceOf(MessageTooLargeError);
    expect((escaped as Error).message).toContain('262144');
    await t.close();
  });

  it('refuses priority, delays over 15 minutes, and delays on FIFO topics', async () => {
    const t = transport({ fifoTopics: ['ordered.*'] });
    await expect(t.send([message({ priority: 1 })])).rejects.toThrow(CapabilityError);
    await expect(t.send([message({ delayMs: 900_001 })])).rejects.toThrow(/900000/);
    await expect(t.send([message({ topic: 'ordered.x', delayMs: 1000 })])).rejects.toThrow(/FIFO/);
    await t.close();
  });

  it('refuses replay at subscribe', async () => {
    const t = transport();
    const spec = { topic: 'orders', group: 'g', maxInFlight: 1, deadLetterTopic: 'orders.dlq', handlerTimeoutMs: 1000, orderedByKey: false, delivery: 'at-least-once' as const };
    await expect(openSubscription(t, { ...spec, start: { from: 'earliest' } }, () => undefined)).rejects.toThrow(CapabilityError);
    await t.close();
  });

  it('refuses sends after close; close is idempotent', async () => {
    const t = transport();
    await t.close();
    await t.close();
    await expect(t.send([message()])).rejects.toThrow(ClosedError);
    await expect(t.connect!()).rejects.toThrow(ClosedError);
  });
});
