/**
 * The broker closes the consumer's connection (rabbitmqctl close_all_connections on the test's own
 * vhost): the subscription's death is reported through onError and the logger, consumer.health()
 * shows it restarting, and once subscribed again what is published later is delivered. Before,
 * the adapter resumed its consumer silently (or not at all when that failed) and there was no
 * health to read.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, stderrLogger, type SubscriptionHealth } from '@ferry/core';
import { rabbit, rabbitmqctl, sleep, topicName, useOwnVhost } from './helpers.ts';

const vhost = useOwnVhost('ferry-rmq-lifecycle');

async function waitFor(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what()}`);
    await sleep(20);
  }
}

describe('rabbitmq subscription lifecycle', () => {
  it('reports a consumer whose connection the broker closed, restarts it, and delivers what is published later', async (ctx) => {
    if (!vhost.available) ctx.skip(true, "needs rabbitmqctl for the broker under test (the machine's own RabbitMQ)");
    const topic = topicName('lifecycle');
    const event = defineMessage('lifecycle.event', z.object({ n: z.number() }), { topic });
    const logged: string[] = [];
    const client = await createClient(rabbit({ reconnect: { initialDelayMs: 50, maxDelayMs: 500 } }, vhost.url()), { logger: stderrLogger('error', {}, (line) => void logged.push(line)) });
    try {
      const seen = new Set<number>();
      const errors: unknown[] = [];
      const consumer = client.consumer({ group: 'g', restart: { initialDelayMs: 100, maxDelayMs: 1_000 }, hooks: { onError: (error) => void errors.push(error) } });
      consumer.handle(event, (payload) => void seen.add(payload.n));
      await consumer.start();
      const producer = client.producer();
      await producer.publish(event, { n: 1 });
      await waitFor(() => seen.has(1), 20_000, () => 'the first message');
      expect(consumer.health()).toMatchObject({ delivering: true, subscriptions: [{ topic, state: 'delivering', restarts: 0 }] });

      const states: SubscriptionHealth['state'][] = [];
      const watch = setInterval(() => states.push(consumer.health().subscriptions[0]!.state), 5);
      try {
        await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'ferry lifecycle test');
        await waitFor(() => errors.some((e) => (e as { code?: string }).code === 'FERRY_SUBSCRIPTION_DIED'), 30_000, () => `a reported death (errors: ${errors.map(String).join('; ')})`);
        await waitFor(() => consumer.health().subscriptions[0]!.restarts >= 1, 30_000, () => `a restart (health: ${JSON.stringify(consumer.health())})`);
      } finally {
        clearInterval(watch);
      }
      expect(states).toContain('restarting');
      expect(logged.some((line) => line.includes('FERRY_SUBSCRIPTION_DIED'))).toBe(true);
      const health = consumer.health().subscriptions[0]!;
      expect(health.state).toBe('delivering');
      expect(health.lastError?.code).toBe('FERRY_RABBITMQ_CONSUMER');
      for (let n = 2; n <= 11; n++) await producer.publish(event, { n });
      await waitFor(() => [...Array(10).keys()].every((i) => seen.has(i + 2)), 30_000, () => `messages published after the restart (seen: ${[...seen].sort((a, b) => a - b).join(',')})`);
      await consumer.close();
      expect(consumer.health().subscriptions[0]!.state).toBe('stopped');
    } finally {
      await client.close();
    }
  });
});
