/**
 * The stores the integration tests run exactly-once with, on the Redis and PostgreSQL the harness
 * provides (FERRY_REDIS_URL, FERRY_POSTGRES_URL): key prefixes and schemas unique to the run, so
 * runs never collide, and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { MemoryIdempotencyStore } from '@ferry/core';
import { migrate, PostgresIdempotencyStore } from '@ferry/postgres';
import { RedisIdempotencyStore } from '@ferry/redis';
import type { StoreFactory } from '@ferry/testkit';
import pg from 'pg';
import { createClient } from 'redis';
import { storesFromEnv } from '../harness/index.ts';

/** A PostgreSQL schema of this run, migrated, with a pool for the test's own queries; `drop()` removes it. */
export function runSchema(prefix: string): { schema: string; pool: pg.Pool; migrated: () => Promise<void>; drop: () => Promise<void> } {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: storesFromEnv().postgres.url, max: 4 });
  pool.on('error', () => undefined);
  let migrated: Promise<void> | undefined;
  return {
    schema,
    pool,
    migrated: () => (migrated ??= migrate(pool, { schema }).then(() => undefined)),
    drop: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}

/** Deletes the keys a run wrote under `prefix` (completed keys would otherwise stay for their TTL). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: storesFromEnv().redis.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}

/**
 * memory (one instance: it stands for the shared database), Redis and PostgreSQL (a new
 * instance, with its own connection, per simulated process). Call `cleanup` in afterAll.
 */
export function conformanceStores(): { stores: StoreFactory[]; cleanup: () => Promise<void> } {
  const memory = new MemoryIdempotencyStore();
  const keyPrefix = `ferry-conf:${randomBytes(4).toString('hex')}:`;
  const pgSchema = runSchema('ferry_conf');
  const { redis, postgres } = storesFromEnv();
  return {
    stores: [
      { name: 'memory', create: () => memory },
      { name: 'redis', create: () => new RedisIdempotencyStore({ url: redis.url, keyPrefix }) },
      {
        name: 'postgres',
        create: async () => {
          await pgSchema.migrated();
          return new PostgresIdempotencyStore({ connectionString: postgres.url, schema: pgSchema.schema, maxConnections: 2 });
        },
      },
    ],
    cleanup: async () => {
      await Promise.all([pgSchema.drop(), dropRedisPrefix(keyPrefix)]);
    },
  };
}
