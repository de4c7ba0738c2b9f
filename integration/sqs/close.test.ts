/**
 * Issue 16: closing an SQS consumer aborts its long polls instead of waiting up to
 * waitTimeSeconds for them, and loses nothing to a poll the server still holds after the abort.
 */
import { createClient, defineMessage } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cleanup, sleep, sqs, topicName, waitFor } from './helpers.ts';

const Item = (topic: string) => defineMessage('sqs.close', z.object({ n: z.number() }), { topic });
/** The adapter's default long poll, which the test helpers shorten. */
const DEFAULT_POLLS = { waitTimeSeconds: 20 };

afterAll(() => cleanup('sqs-close'));

describe('sqs: closing a consumer', () => {
  it('close() resolves within about a second with the default 20 s long polls', async () => {
    const topic = topicName('close-fast');
    const client = await createClient(sqs(DEFAULT_POLLS));
    await client.consumer({ group: 'g', concurrency: 4 }).handle(Item(topic), () => undefined).start();
    await sleep(500); // the polls are waiting on the server
    const t0 = Date.now();
    await client.close();
    const elapsed = Date.now() - t0;
    console.log(`close() with waitTimeSeconds 20: ${elapsed} ms`);
    // A bound on "the polls were aborted", not a benchmark: waiting for them takes 19-20 s.
    expect(elapsed).toBeLessThan(5_000);
  }, 40_000);

  it('messages published while and after the polls are aborted all reach the next consumer promptly', async () => {
    const topic = topicName('close-lossless');
    const message = Item(topic);
    const first = await createClient(sqs(DEFAULT_POLLS));
    const producer = await createClient(sqs());
    const handled = new Set<number>();
    try {
      // prefetch 30: three long polls waiting on the server when it closes.
      await first.consumer({ group: 'g', concurrency: 10, prefetch: 30 }).handle(message, (item) => void handled.add(item.n)).start();
      await sleep(500);
      const publisher = producer.producer();
      const during = Promise.all(Array.from({ length: 10 }, (_, n) => publisher.publish(message, { n })));
      await first.close();
      await during;
      // After close: the aborted polls may still wait on the server, and take these.
      await Promise.all(Array.from({ length: 10 }, (_, n) => publisher.publish(message, { n: 10 + n })));
      const second = await createClient(sqs());
      try {
        await second.consumer({ group: 'g', concurrency: 10 }).handle(message, (item) => void handled.add(item.n)).start();
        // The visibility timeout is 30 s: a message swallowed by an aborted poll would miss this.
        await waitFor(() => handled.size === 20, 15_000, `all 20 messages (have ${[...handled].sort((a, b) => a - b).join(',')})`);
      } finally {
        await second.close();
      }
      expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    } finally {
      await first.close();
      await producer.close();
    }
  }, 60_000);
});
