/**
 * A retry copy RabbitMQ does not take, on the real broker: nack rejects and changes nothing (the
 * message stays unacked with the consumer; it is not requeued at once without its delay), core
 * tries the nack again with backoff, and once the copy is confirmed the message comes back after
 * its delay with attempt 2.
 */
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage } from '@ferry/core';
import { DEFAULT_DELAY_TIERS_MS } from '@ferry/rabbitmq';
import { amqpUrl, cleanup, rabbit, sleep, topicName } from './helpers.ts';

const prefixes: string[] = [];
afterAll(() => cleanup(...prefixes));

const DELAY = 300;

describe('rabbitmq nack', () => {
  it('a retry copy that cannot be routed fails the nack, which core tries again until the copy lands; no redelivery without the delay meanwhile', async () => {
    const name = topicName('nack-rule');
    prefixes.push(name);
    const Job = defineMessage('job', z.object({ n: z.number() }), { topic: name });
    const seen: Array<{ n: number; attempt: number; at: number }> = [];
    const errors: string[] = [];
    const client = await createClient(rabbit({ queueType: 'classic' }));
    const connection = await amqp.connect(amqpUrl());
    try {
      await client
        .consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: DELAY, maxDelayMs: DELAY, jitter: 0 }, hooks: { onError: (e) => void errors.push(String(e)) } })
        .handle(Job, (job, ctx) => {
          seen.push({ n: job.n, attempt: ctx.attempt, at: Date.now() });
          if (ctx.attempt === 1) throw new Error('fails once');
        })
        .start();
      const producer = client.producer();
      const attemptsOf = (n: number) => seen.filter((s) => s.n === n).map((s) => s.attempt);

      // A first retry declares the group's delay tier queue for this delay.
      await producer.publish(Job, { n: 1 });
      while (attemptsOf(1).length < 2) await sleep(20);

      // Gone behind the adapter's back: a retry copy now comes back unroutable.
      const tier = DEFAULT_DELAY_TIERS_MS.find((t) => t >= DELAY)!;
      const retryQueue = `${name}.g.retry.${tier}`;
      const admin = await connection.createChannel();
      await admin.deleteQueue(retryQueue);
      await producer.publish(Job, { n: 2 });
      await sleep(1_500);
      expect(attemptsOf(2)).toEqual([1]);
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors.every((e) => /unroutable/.test(e))).toBe(true);

      // Back as the adapter declares it: the next try's copy lands, and the message returns after its delay.
      const recreatedAt = Date.now();
      await admin.assertQueue(retryQueue, { durable: true, arguments: { 'x-queue-type': 'classic', 'x-message-ttl': tier, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${name}.g` } });
      const deadline = Date.now() + 15_000;
      while (attemptsOf(2).length < 2 && Date.now() < deadline) await sleep(20);
      expect(attemptsOf(2)).toEqual([1, 2]);
      expect(seen.find((s) => s.n === 2 && s.attempt === 2)!.at - recreatedAt).toBeGreaterThanOrEqual(DELAY);
    } finally {
      await client.close({ timeoutMs: 1_000 });
      await connection.close();
    }
  }, 60_000);
});
