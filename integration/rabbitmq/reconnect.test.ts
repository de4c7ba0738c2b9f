/**
 * Connection loss on the real broker: the adapter reconnects, redeclares, resumes its consumers
 * and resends what was not confirmed, so a stream of 10,000 messages arrives whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '@ferry/core/spi';
import { startTcpProxy } from '../harness/index.ts';
import { amqpUrl, message, rabbit, rabbitmqctl, sleep, spec, subscribe, topicName, useOwnVhost } from './helpers.ts';

const vhost = useOwnVhost('ferry-rmq-reconnect');

const TOTAL = 10_000;

/** Publishes TOTAL messages in sends of 100 while `cut` runs once along the way; all must arrive. */
async function streamThroughCuts(url: string, cut: () => Promise<void>): Promise<void> {
  const name = topicName('reconnect');
  const options = { reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 }, publishTimeoutMs: 60_000 };
  const producer = rabbit(options, url);
  const consumer = rabbit(options, url);
  const ids = new Set<string>();
  let deliveries = 0;
  await subscribe(consumer, spec(name, 'g', { maxInFlight: 100 }), (d: Delivery) => {
    deliveries++;
    ids.add(d.envelope.id);
    void d.ack();
  });
  let cutDone: Promise<void> | undefined;
  for (let i = 0; i < TOTAL; i += 100) {
    if (i === 3_000) cutDone = cut();
    if (i === 5_000) await cutDone; // half the stream goes out after the cut
    await producer.send(Array.from({ length: 100 }, (_, j) => message(name, { id: `${name}-${i + j}` })));
  }
  await cutDone;
  const deadline = Date.now() + 60_000;
  while (ids.size < TOTAL && Date.now() < deadline) await sleep(100);
  expect(ids.size).toBe(TOTAL); // none lost (duplicates allowed: at-least-once)
  expect(deliveries).toBeGreaterThanOrEqual(TOTAL);
  expect(producer.reconnects).toBeGreaterThanOrEqual(1);
  expect(consumer.reconnects).toBeGreaterThanOrEqual(1);
  await Promise.all([producer.close(), consumer.close()]);
}

describe('rabbitmq reconnect', () => {
  it('survives the broker closing every connection (rabbitmqctl close_all_connections) mid-stream', async (ctx) => {
    if (!vhost.available) ctx.skip(true, 'needs rabbitmqctl for the broker under test (the machine\'s own RabbitMQ)');
    await streamThroughCuts(vhost.url(), async () => {
      await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'ferry reconnect test');
    });
  });

  it('survives a cut TCP connection (proxy reset) twice mid-stream', async () => {
    const target = new URL(amqpUrl());
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672) });
    try {
      await streamThroughCuts(vhost.url(proxy.port), async () => {
        proxy.cutAll();
        await sleep(500);
        proxy.cutAll();
      });
    } finally {
      await proxy.close();
    }
  });

  it('makes a send during an outage wait for the connection, and fail clearly when it does not come back', async () => {
    const target = new URL(amqpUrl());
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672) });
    const name = topicName('outage');
    const t = rabbit({ publishTimeoutMs: 1_500, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }, vhost.url(proxy.port));
    const c = await subscribe(t, spec(name, 'g'), (d) => void d.ack());
    await t.send([message(name)]);
    await proxy.close(); // connection cut and nothing listens any more
    const started = Date.now();
    await expect(t.send([message(name)])).rejects.toThrow(/within 1500 ms|connection to RabbitMQ is down|No connection/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    await c.close();
    await t.close();
  });
});
