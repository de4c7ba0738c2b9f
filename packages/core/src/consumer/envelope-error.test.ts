// A delivery whose envelope the adapter could not read (Delivery.envelopeError): core runs no
// handler and dead-letters it as kind `decode`. A unit test of core's loop: the transport only records.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../client/client.ts';
import { DecodeError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import type { Delivery } from '../spi/delivery.ts';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';

const Job = defineMessage('job', z.object({ n: z.number() }), { topic: 'jobs' });

describe('a delivery with an unreadable envelope', () => {
  it('is dead-lettered as a decode failure naming what the adapter said, and acked; no handler runs', async () => {
    const sent: OutgoingMessage[] = [];
    const calls: string[] = [];
    const delivery: Delivery = {
      envelope: { id: 'jobs-0-7', type: '', topic: Job.topic, headers: { 'x-keep': 'yes' }, payload: new TextEncoder().encode('{"n":1}'), timestamp: 0 },
      envelopeError: new DecodeError('Kafka record header `ferry-envelope` is not a Ferry envelope (no length prefix): "junk"'),
      attempt: 1,
      coordinates: { partition: 0, offset: 7 },
      ack: async () => void calls.push('ack'),
      nack: async () => void calls.push('nack'),
    };
    const transport: Transport = {
      name: 'fake',
      capabilities: { orderingByKey: true, fanOut: true, replay: [], delay: { maxMs: 60_000 }, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 10_000 },
      send: async (messages) => void sent.push(...messages),
      subscribe: async (_spec, sink) => {
        sink.deliver(delivery);
        return { close: async () => undefined };
      },
      close: async () => undefined,
    };
    const handled: unknown[] = [];
    const client = await createClient(transport);
    try {
      await client.consumer({ group: 'g', unknownTypes: 'ignore' }).handle(Job, (job) => void handled.push(job)).start();
      const deadline = Date.now() + 5000;
      while (!calls.includes('ack') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(calls).toEqual(['ack']);
      expect(handled).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.headers).toMatchObject({ 'x-keep': 'yes', [HEADERS.deadLetterKind]: 'decode' });
      expect(sent[0]!.headers[HEADERS.deadLetterReason]).toContain('`ferry-envelope`');
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });
});
