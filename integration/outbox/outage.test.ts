/**
 * Backpressure on a real broker: the relay's connection to RabbitMQ goes through a TCP proxy that
 * is shut for 4 s. Meanwhile rows wait in the outbox (none arrives, none is dropped), the relay
 * holds at most one batch, and once RabbitMQ is reachable again every row arrives.
 */
import { randomBytes } from 'node:crypto';
import { createClient, defineMessage, silentLogger } from '@ferry/core';
import { postgresOutbox } from '@ferry/postgres';
import { startTcpProxy } from '@ferry/testkit';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';
import { runSchema } from '../exactly-once/stores.ts';
import { consumerClient } from './brokers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('RabbitMQ unreachable for 4 s: rows wait in the outbox, one batch in memory, all arrive after', { timeout: 60_000 }, async () => {
  const db = runSchema('ferry_outbox_outage');
  const amqp = new URL(endpointsFromEnv().amqp.url);
  const target = { targetHost: amqp.hostname, targetPort: Number(amqp.port || 5672) };
  let proxy = await startTcpProxy(target);
  const port = proxy.port;
  const viaProxy = new URL(amqp);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(port);
  const Item = defineMessage('outbox.outage', z.object({ n: z.number().int() }), { topic: uniqueName('outbox-outage') });
  const consumer = await consumerClient('rabbitmq');
  // Its publishes give up after 1.5 s (the relay then backs off and fetches the rows again); the
  // reconnects are quick, so the test does not wait out a long backoff.
  const sender = await createClient(viaProxy.toString(), { transport: { publishTimeoutMs: 1_500, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } }, logger: silentLogger });
  const run = randomBytes(4).toString('hex');
  try {
    await db.migrated();
    const seen = new Map<string, number>();
    await consumer.consumer({ group: uniqueName('outbox-outage-g'), concurrency: 16 }).handle(Item, async (_p, ctx) => void seen.set(ctx.envelope.id, (seen.get(ctx.envelope.id) ?? 0) + 1)).start();
    const outbox = postgresOutbox({ pool: db.pool, schema: db.schema });
    const relay = await outbox.startRelay(sender, { batchSize: 100, retry: { initialDelayMs: 100, maxDelayMs: 500 } });
    const write = async (from: number, count: number) =>
      outbox.publishBatch(db.pool, Array.from({ length: count }, (_, i) => ({ message: Item, payload: { n: from + i }, options: { id: `${run}-${from + i}` } })));
    const before = await write(0, 200);
    await expect.poll(() => before.every((id) => seen.has(id)), { timeout: 10_000 }).toBe(true);
    // Marked sent too (a consumer may see a message before its publisher has the broker's confirm).
    await expect.poll(async () => (await outbox.status()).pending, { timeout: 10_000 }).toBe(0);

    await proxy.close(); // every connection cut, new ones refused: RabbitMQ is unreachable
    const during = await write(200, 1_000);
    await sleep(4_000);
    expect(during.filter((id) => seen.has(id))).toEqual([]);
    expect((await outbox.status()).pending).toBe(1_000);
    expect(relay.stats().sendFailures).toBeGreaterThanOrEqual(1);
    expect(relay.stats().maxRowsInMemory).toBeLessThanOrEqual(100);

    proxy = await startTcpProxy({ ...target, listenPort: port });
    await expect.poll(() => during.every((id) => seen.has(id)), { timeout: 30_000 }).toBe(true);
    await relay.stop();
    const copies = [...seen.values()].filter((n) => n > 1).length;
    console.log(`outage: ${before.length + during.length} rows, lost 0, copies ${copies}, failed sends ${relay.stats().sendFailures}, most rows in memory ${relay.stats().maxRowsInMemory}`);
    expect((await outbox.status()).pending).toBe(0);
  } finally {
    await sender.close({ timeoutMs: 2_000 });
    await consumer.close({ timeoutMs: 2_000 });
    await proxy.close();
    await db.drop();
  }
});
