// The rule for a retry an adapter cannot arrange: its nack rejects and changes nothing, and core
// tries the nack again with backoff. A unit test of core's loop: the transport below only records.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../client/client.ts';
import { PublishError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import type { Delivery } from '../spi/delivery.ts';
import type { Transport } from '../spi/transport.ts';

const Job = defineMessage('job', z.object({ n: z.number() }), { topic: 'jobs' });

/** Hands one delivery of Job to the subscription; its nack fails `failures` times, then succeeds. */
function oneDelivery(failures: number) {
  const calls: Array<{ what: string; at: number }> = [];
  let left = failures;
  const delivery: Delivery = {
    envelope: { id: 'job-1', type: Job.type, topic: Job.topic, headers: { 'ferry-content-type': 'application/json' }, payload: new TextEncoder().encode('{"n":1}'), timestamp: 0 },
    attempt: 1,
    coordinates: {},
    ack: async () => void calls.push({ what: 'ack', at: Date.now() }),
    nack: async (delayMs) => {
      calls.push({ what: `nack ${delayMs}`, at: Date.now() });
      if (left-- > 0) throw new PublishError('the retry copy was not written');
    },
    release: async () => void calls.push({ what: 'release', at: Date.now() }),
  };
  const transport: Transport = {
    name: 'fake',
    capabilities: { orderingByKey: true, fanOut: true, replay: [], delay: { maxMs: 60_000 }, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 10_000 },
    send: async () => undefined,
    subscribe: async (_spec, sink) => {
      sink.deliver(delivery);
      return { close: async () => undefined };
    },
    close: async () => undefined,
  };
  return { transport, calls };
}

describe('a nack the transport cannot arrange', () => {
  it('is tried again with backoff until it succeeds; the message is neither acked nor released meanwhile', async () => {
    const { transport, calls } = oneDelivery(2);
    const errors: string[] = [];
    const retries: number[] = [];
    const client = await createClient(transport);
    try {
      await client
        .consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: 50, jitter: 0 }, hooks: { onError: (e) => void errors.push(String(e)), onRetry: (_c, _e, delayMs) => void retries.push(delayMs) } })
        .handle(Job, () => {
          throw new Error('handler failed');
        })
        .start();
      const deadline = Date.now() + 5000;
      while (calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(calls.map((c) => c.what)).toEqual(['nack 50', 'nack 50', 'nack 50']);
      // Backoff between tries: 100 ms, then 200 ms.
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(95);
      expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(195);
      expect(errors).toEqual(['PublishError: the retry copy was not written', 'PublishError: the retry copy was not written']);
      expect(retries).toEqual([50]);
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });

  it('a consumer closed while it keeps failing stops trying and releases the message', async () => {
    const { transport, calls } = oneDelivery(Number.POSITIVE_INFINITY);
    const client = await createClient(transport);
    await client
      .consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: 50, jitter: 0 }, hooks: { onError: () => undefined } })
      .handle(Job, () => {
        throw new Error('handler failed');
      })
      .start();
    while (calls.length < 2) await new Promise((r) => setTimeout(r, 10));
    await client.close({ timeoutMs: 50 });
    const made = calls.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.slice(made)).toEqual([]);
    expect(calls.map((c) => c.what).filter((w) => w !== 'nack 50')).toEqual(['release']);
  });
});
