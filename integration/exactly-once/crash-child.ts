/**
 * One consumer process of crash.test.ts: exactly-once on a real broker, its effect an INSERT of
 * the message id into PostgreSQL — inside the inbox's transaction (`inbox`), or autocommitted
 * beside the Redis store's claim (`redis`). The parent SIGKILLs it at random moments.
 * Usage: tsx crash-child.ts <kafka|rabbitmq|sqs> <inbox|redis> <topic> <group> <schema> <redis key prefix>
 * Prints `ready` once its consumer runs.
 */
import { createClient, defineMessage, type MessageContext, type Transport } from '@ferry/core';
import { postgresInbox } from '@ferry/postgres';
import { RedisIdempotencyStore } from '@ferry/redis';
import pg from 'pg';
import { z } from 'zod';
import { storesFromEnv } from '../harness/index.ts';
import { kafka } from '../kafka/helpers.ts';
import { rabbit } from '../rabbitmq/helpers.ts';
import { sqs } from '../sqs/helpers.ts';
import { CRASH_SETTINGS, type CrashBroker, type CrashMode } from './crash-settings.ts';

const [broker, mode, topic, group, schema, keyPrefix] = process.argv.slice(2) as [CrashBroker, CrashMode, string, string, string, string];
const Item = defineMessage('crash.item', z.object({ n: z.number().int() }), { topic });
const { redis, postgres } = storesFromEnv();
const { concurrency, leaseMs } = CRASH_SETTINGS;

const transports: Record<CrashBroker, () => Transport> = {
  kafka: () => kafka(CRASH_SETTINGS.kafka),
  rabbitmq: () => rabbit(),
  sqs: () => sqs(CRASH_SETTINGS.sqs),
};
const pool = new pg.Pool({ connectionString: postgres.url, max: mode === 'inbox' ? concurrency + 1 : 16 });
pool.on('error', () => undefined);
const effects = `"${schema}".effects`;
const client = await createClient(transports[broker]());
const retry = { attempts: 1_000, initialDelayMs: 50, maxDelayMs: 500, jitter: 0.2 };
// Messages whose handler ran here but whose outcome was not recorded (the Kafka transaction or
// the completion failed, e.g. a rebalance took the partition): the other window a duplicate may
// come from. The parent reads them from `unsettled`.
const handled = new Set<string>();
const unsettled = (id: string | undefined) => {
  if (id !== undefined && handled.has(id)) void pool.query(`INSERT INTO "${schema}".unsettled (id, pid) VALUES ($1, $2)`, [id, process.pid]).catch(() => undefined);
};
const hooks = {
  onError: (_error: unknown, ctx?: MessageContext) => unsettled(ctx?.envelope.id),
  onRetry: (ctx: MessageContext) => unsettled(ctx.envelope.id),
};

if (mode === 'inbox') {
  const inbox = postgresInbox({ pool, schema, maxClaims: 50 });
  await client
    .consumer({ group, delivery: 'exactly-once', idempotency: inbox, concurrency, retry, hooks })
    .handle(Item, async (_item, ctx) => {
      await inbox.tx(ctx).query(`INSERT INTO ${effects} (id, pid) VALUES ($1, $2)`, [ctx.envelope.id, process.pid]);
      handled.add(ctx.envelope.id);
    })
    .start();
} else {
  const store = new RedisIdempotencyStore({ url: redis.url, keyPrefix });
  await client
    .consumer({ group, delivery: 'exactly-once', idempotency: { store, leaseMs, maxClaims: 50 }, concurrency, retry, hooks })
    .handle(Item, async (_item, ctx) => {
      await pool.query(`INSERT INTO ${effects} (id, pid) VALUES ($1, $2)`, [ctx.envelope.id, process.pid]);
      handled.add(ctx.envelope.id);
    })
    .start();
}
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void client.close({ timeoutMs: 5_000 }).finally(() => process.exit(0));
});
