// The batch lane's settlement, as a unit test of core's loop: the transport below only records
// (the lane's behaviour on real brokers is the conformance suite's "batch handlers" cases).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../client/client.ts';
import { defineMessage } from '../message.ts';
import type { Delivery } from '../spi/delivery.ts';
import type { Transport } from '../spi/transport.ts';

const Job = defineMessage('job', z.object({ n: z.number() }), { topic: 'jobs' });

/** Hands `count` deliveries of Job at once; the ack of every odd one fails `failures` times first. */
function deliveries(count: number, failures: number) {
  const acks = new Map<number, number>();
  const made: Delivery[] = Array.from({ length: count }, (_, n) => {
    let left = n % 2 === 1 ? failures : 0;
    return {
      envelope: { id: `job-${n}`, type: Job.type, topic: Job.topic, headers: { 'ferry-content-type': 'application/json' }, payload: new TextEncoder().encode(JSON.stringify({ n })), timestamp: 0 },
      attempt: 1,
      coordinates: {},
      ack: async () => {
        acks.set(n, (acks.get(n) ?? 0) + 1);
        if (left-- > 0) throw new Error(`ack ${n} refused`);
      },
      nack: async () => undefined,
      release: async () => undefined,
    };
  });
  const transport: Transport = {
    name: 'fake',
    capabilities: { orderingByKey: false, fanOut: true, replay: [], delay: { maxMs: 60_000 }, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 10_000 },
    send: async () => undefined,
    subscribe: async (_spec, sink) => {
      for (const d of made) sink.deliver(d);
      return { close: async () => undefined };
    },
    close: async () => undefined,
  };
  return { transport, acks };
}

describe('batch lane', () => {
  it('acks a batch together; an ack that fails is tried again on its own, and its message is not handled again', async () => {
    const { transport, acks } = deliveries(10, 1);
    const handled: number[] = [];
    const errors: string[] = [];
    const processed: string[] = [];
    const client = await createClient(transport);
    try {
      await client
        .consumer({ group: 'g', concurrency: 10, hooks: { onError: (e) => void errors.push(String(e)), onProcessed: (ctx) => void processed.push(ctx.envelope.id) } })
        .handleBatch(Job, (items) => void handled.push(...items.map((i) => i.payload.n)), { maxSize: 10, maxWaitMs: 10 })
        .start();
      await expect.poll(() => processed.length, { timeout: 5_000 }).toBe(10);
      expect(handled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect([...acks.entries()].sort(([a], [b]) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [n, n % 2 === 1 ? 2 : 1]));
      expect(errors.filter((e) => /ack \d refused/.test(e))).toHaveLength(5);
    } finally {
      await client.close();
    }
  });
});
