/**
 * A subscription whose kafkajs consumer crashes after its first join (here: its topic is deleted
 * under it, so every fetch fails) is reported through onError and the logger, shows `restarting`
 * in consumer.health(), and is subscribed again once the topic is back: what is published after
 * that is delivered. Before, kafkajs restarted the dead consumer in place, nothing was reported,
 * and the consumer had no health to read.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, stderrLogger, type Client, type SubscriptionHealth } from '@ferry/core';
import { brokers, kafka, sleep, topicName, waitFor } from './helpers.ts';

const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close())));

describe('kafka subscription lifecycle', () => {
  it('reports a consumer that crashed after its topic was deleted, restarts it, and delivers what is published later', async () => {
    const topic = topicName('lifecycle');
    const event = defineMessage('lifecycle.event', z.object({ n: z.number() }), { topic });
    const logged: string[] = [];
    const client = await createClient(kafka({ partitions: 2 }), { logger: stderrLogger('error', {}, (line) => void logged.push(line)) });
    clients.push(client);
    const seen = new Set<number>();
    const errors: unknown[] = [];
    const states: SubscriptionHealth['state'][] = [];
    const consumer = client.consumer({
      group: topicName('lifecycle-g'),
      restart: { initialDelayMs: 200, maxDelayMs: 1_000 },
      hooks: { onError: (error) => void errors.push(error) },
    });
    consumer.handle(event, (payload) => void seen.add(payload.n));
    await consumer.start();
    const producer = client.producer();
    await producer.publish(event, { n: 1 });
    await waitFor(() => seen.has(1), 20_000, () => 'the first message');
    // On a freshly started broker a just-created topic's first fetch can fail and count as a death
    // already (the subscription then comes back by itself): count restarts from here.
    await waitFor(() => consumer.health().subscriptions[0]!.state === 'delivering', 30_000, () => JSON.stringify(consumer.health()));
    expect(consumer.health().subscriptions[0]).toMatchObject({ topic, state: 'delivering' });
    const restartsBefore = consumer.health().subscriptions[0]!.restarts;
    errors.length = 0;

    const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
      const watch = setInterval(() => states.push(consumer.health().subscriptions[0]!.state), 20);
      try {
        await waitFor(() => errors.some((e) => (e as { code?: string }).code === 'FERRY_SUBSCRIPTION_DIED'), 60_000, () => `a reported death (errors: ${errors.map(String).join('; ')})`);
        expect(consumer.health().delivering).toBe(false);
        expect(logged.some((line) => line.includes('FERRY_SUBSCRIPTION_DIED'))).toBe(true);
        // Sampled every 20 ms: the death can be seen before the next sample (the restart's backoff
        // keeps the state at least 100 ms).
        await waitFor(() => states.includes('restarting'), 5_000, () => `the state 'restarting' (seen: ${[...new Set(states)].join(', ')})`);
        // The topic comes back (an operator recreates it); the restarts find it.
        await sleep(500);
        await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
        await waitFor(() => consumer.health().subscriptions[0]!.state === 'delivering', 60_000, () => `a restart (health: ${JSON.stringify(consumer.health())})`);
      } finally {
        clearInterval(watch);
      }
    } finally {
      await admin.disconnect();
    }
    const health = consumer.health().subscriptions[0]!;
    expect(health.restarts).toBeGreaterThanOrEqual(restartsBefore + 1);
    expect(health.lastError?.message).toBeTruthy();
    for (let n = 2; n <= 11; n++) await producer.publish(event, { n });
    await waitFor(() => [...Array(10).keys()].every((i) => seen.has(i + 2)), 60_000, () => `messages published after the restart (seen: ${[...seen].sort((a, b) => a - b).join(',')})`);
    expect(consumer.health().delivering).toBe(true);
    await consumer.close();
    expect(consumer.health().subscriptions[0]!.state).toBe('stopped');
  });
});
