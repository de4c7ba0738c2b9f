/**
 * One consumer process of poison.test.ts: at-least-once, one handler at a time, `maxDeliveries`
 * counted in Redis. A message with `poison: true` SIGKILLs this process; every other one adds 1 to
 * its id's count in a Redis hash (the effect the parent counts).
 * Usage: tsx poison-child.ts <kafka|rabbitmq> <topic> <group> <redis key prefix> <maxDeliveries>
 * Prints `ready` once its consumer runs.
 */
import { createClient, defineMessage, type Transport } from '@ferry/core';
import { RedisIdempotencyStore } from '@ferry/redis';
import { createClient as createRedis } from 'redis';
import { z } from 'zod';
import { storesFromEnv } from '../harness/index.ts';
import { kafka } from '../kafka/helpers.ts';
import { rabbit } from '../rabbitmq/helpers.ts';
import { POISON_SETTINGS, type PoisonBroker } from './settings.ts';

const [broker, topic, group, keyPrefix, limit] = process.argv.slice(2) as [PoisonBroker, string, string, string, string];
const Item = defineMessage('poison.item', z.object({ n: z.number().int(), poison: z.boolean() }), { topic });
const { redis } = storesFromEnv();
const transports: Record<PoisonBroker, () => Transport> = {
  kafka: () => kafka(POISON_SETTINGS.kafka),
  rabbitmq: () => rabbit(POISON_SETTINGS.rabbitmq),
};
const effects = createRedis({ url: redis.url });
await effects.connect();
const store = new RedisIdempotencyStore({ url: redis.url, keyPrefix });
const client = await createClient(transports[broker](), { idempotencyStore: store });
await client
  .consumer({ group, concurrency: 1, retry: { attempts: Number(limit) }, maxDeliveries: { limit: Number(limit), leaseMs: POISON_SETTINGS.leaseMs } })
  .handle(Item, async (item, ctx) => {
    if (item.poison) process.kill(process.pid, 'SIGKILL');
    await effects.hIncrBy(`${keyPrefix}effects`, ctx.envelope.id, 1);
  })
  .start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void client.close({ timeoutMs: 5_000 }).finally(() => process.exit(0));
});
