/**
 * Exactly-once on RabbitMQ: what each way of giving it costs against at-least-once, in one run.
 *
 *   pnpm exec tsx integration/bench/exactly-once.ts [messages=10000] [concurrency=64] [rounds=5] [only=<regex of variant names>]
 *
 * Each round fills one topic whose group queues (one per variant) all get the same `messages`,
 * then each variant's consumer (SDK, concurrency 64, prefetch 128) handles its queue whole; the
 * variants run one after another in an order rotated every round; medians of msg/s per variant.
 *   handler "insert": one INSERT of the message id into PostgreSQL (autocommitted; with the inbox,
 *     in the inbox's transaction), so every variant does the same work;
 *   handler "no-op": nothing, so the figure is the store's own cost.
 * Variants: at-least-once; exactly-once with the memory store, the Redis store, the PostgreSQL
 * store, the PostgreSQL inbox (and the inbox without crash-loop counting).
 * Uses FERRY_AMQP_URL, FERRY_REDIS_URL, FERRY_POSTGRES_URL or the local defaults.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createClient, defineMessage, MemoryIdempotencyStore, type ConsumerOptions, type IdempotencyStore, type MessageContext } from '@ferry/core';
import { migrate, PostgresIdempotencyStore, postgresInbox, type PostgresInbox } from '@ferry/postgres';
import { RabbitMqTransport } from '@ferry/rabbitmq';
import { RedisIdempotencyStore } from '@ferry/redis';
import pg from 'pg';
import { timeConsumer } from './time-consumer.ts';
import { subscribe } from '../harness/spi-fixtures.ts';
import { median } from './median.ts';

const amqpUrl = process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const redisUrl = process.env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const count = Number(process.argv[2] ?? 10_000);
const concurrency = Number(process.argv[3] ?? 64);
const rounds = Number(process.argv[4] ?? 5);
/** Only the variants whose name matches (with the at-least-once of their handler), e.g. for a CPU profile. */
const only = process.argv[5] ? new RegExp(process.argv[5]) : undefined;

const run = randomBytes(4).toString('hex');
const topic = `bench-eo-${run}`;
const schema = `ferry_bench_${run}`;
const Tick = defineMessage('bench.tick', z.object({ n: z.number() }), { topic });

type Handler = 'insert' | 'no-op';
interface Variant {
  readonly name: string;
  readonly group: string;
  readonly handler: Handler;
  /** The consumer's exactly-once settings (none: at-least-once). */
  readonly idempotency?: () => ConsumerOptions['idempotency'];
  readonly inbox?: PostgresInbox;
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: concurrency + 4 });
  await migrate(pool, { schema });
  await pool.query(`CREATE TABLE "${schema}".effects (id text NOT NULL)`);
  const memory = new MemoryIdempotencyStore();
  const redis = new RedisIdempotencyStore({ url: redisUrl, keyPrefix: `ferry-bench:${run}:` });
  const pgStore = new PostgresIdempotencyStore({ connectionString: postgresUrl, schema, maxConnections: 8 });
  const inbox = postgresInbox({ pool, schema });
  const inboxUncounted = postgresInbox({ pool, schema, maxClaims: false });
  const store = (s: IdempotencyStore) => () => ({ store: s, ttlMs: 600_000, leaseMs: 30_000 });

  const variants: Variant[] = [];
  for (const handler of ['insert', 'no-op'] as const) {
    const v = (name: string, rest: Partial<Variant> = {}) => variants.push({ name: `${name}, ${handler}`, group: `${name.replace(/[^a-z]+/gi, '-')}-${handler}`, handler, ...rest });
    v('at-least-once');
    v('exactly-once memory store', { idempotency: store(memory) });
    v('exactly-once redis store', { idempotency: store(redis) });
    v('exactly-once postgres store', { idempotency: store(pgStore) });
    v('exactly-once postgres inbox', { idempotency: () => inbox, inbox });
    if (handler === 'insert') v('exactly-once postgres inbox, no claim count', { idempotency: () => inboxUncounted, inbox: inboxUncounted });
  }
  if (only) {
    const kept = variants.filter((v) => only.test(v.name) || (v.idempotency === undefined && variants.some((w) => w.handler === v.handler && only.test(w.name))));
    variants.splice(0, variants.length, ...kept);
  }

  const transport = new RabbitMqTransport(new URL(amqpUrl), {});
  const client = await createClient(transport);
  // The group queues, declared as the adapter declares them, so the fill reaches every one.
  for (const variant of variants) {
    await (await subscribe(transport, { topic, group: variant.group, maxInFlight: 1, start: { from: 'stored' }, deadLetterTopic: `${topic}.dlq`, handlerTimeoutMs: 60_000, orderedByKey: false, delivery: 'at-least-once' }, () => undefined)).close();
  }
  const producer = client.producer();
  const fill = async () => {
    for (let sent = 0; sent < count; ) {
      const chunk = Math.min(1000, count - sent);
      await Promise.all(Array.from({ length: chunk }, () => producer.publish(Tick, { n: sent++ })));
    }
  };
  const effect = async (variant: Variant, ctx: MessageContext) => {
    if (variant.handler === 'no-op') return;
    const sql = `INSERT INTO "${schema}".effects (id) VALUES ($1)`;
    if (variant.inbox) await variant.inbox.tx(ctx).query(sql, [ctx.envelope.id]);
    else await pool.query(sql, [ctx.envelope.id]);
  };
  const consume = (variant: Variant) => {
    const idempotency = variant.idempotency?.();
    return timeConsumer(count, (handled) =>
      client
        .consumer({ group: variant.group, concurrency, orderedByKey: false, ...(idempotency ? { delivery: 'exactly-once' as const, idempotency } : {}) })
        .handle(Tick, async (_tick, ctx) => {
          await effect(variant, ctx);
          handled();
        }),
    );
  };

  const results = new Map(variants.map((v) => [v, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    await fill();
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length]!;
      results.get(variant)!.push(await consume(variant));
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }

  await client.close();
  // The broker keeps what the run declared: delete it.
  const amqp = await import('amqplib');
  const connection = await amqp.connect(amqpUrl);
  const admin = await connection.createChannel();
  for (const variant of variants) await admin.deleteQueue(`${topic}.${variant.group}`);
  await admin.deleteQueue(`${topic}.dlq.ferry-dead-letters`).catch(() => undefined);
  for (const exchange of [topic, `${topic}.dlq`]) await admin.deleteExchange(exchange);
  await connection.close();
  await Promise.all([redis.close(), pgStore.close(), inbox.close(), inboxUncounted.close()]);
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();

  console.log(`Exactly-once on RabbitMQ ${amqpUrl.replace(/:[^:@/]+@/, ':***@')}, ${count} messages, concurrency ${concurrency}, ${rounds} rounds (median msg/s, then each round)`);
  for (const handler of ['insert', 'no-op'] as const) {
    const baseline = variants.find((v) => v.handler === handler && v.idempotency === undefined);
    if (!baseline) continue;
    const base = median(results.get(baseline)!);
    console.log(`handler: ${handler === 'insert' ? 'one INSERT into PostgreSQL' : 'no-op'}`);
    for (const variant of variants.filter((v) => v.handler === handler)) {
      const values = results.get(variant)!;
      console.log(`  ${variant.name.padEnd(58)} ${String(median(values)).padStart(7)}  ${(median(values) / base).toFixed(2)}x   [${values.join(', ')}]`);
    }
  }
  for (const handler of ['insert', 'no-op']) {
    const of = (name: string) => results.get(variants.find((v) => v.name === `${name}, ${handler}`)!);
    const [redisStore, alo] = [of('exactly-once redis store'), of('at-least-once')];
    if (redisStore && alo) console.log(`target: redis store / at-least-once (${handler}) = ${(median(redisStore) / median(alo)).toFixed(2)}x (>= 0.5x)`);
  }
}

await main();
