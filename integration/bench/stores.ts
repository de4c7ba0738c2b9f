/**
 * The shared stores alone, no broker: claim + complete pairs per second against the real Redis and
 * PostgreSQL, at several numbers of callers at once (what a consumer's concurrency makes).
 *
 *   pnpm exec tsx integration/bench/stores.ts [seconds=3]
 *
 * Uses FERRY_REDIS_URL, FERRY_POSTGRES_URL or the local defaults.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IdempotencyStore } from '@ferry/core';
import { migrate, PostgresIdempotencyStore } from '@ferry/postgres';
import { RedisIdempotencyStore } from '@ferry/redis';
import pg from 'pg';

const redisUrl = process.env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.argv[2] ?? 3);
const run = randomBytes(4).toString('hex');
const lease = { leaseMs: 30_000, ttlMs: 60_000 };

async function measure(name: string, store: IdempotencyStore): Promise<void> {
  for (const callers of [1, 64, 256]) {
    let pairs = 0;
    const latencies: number[] = [];
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < until) {
          const [key, token] = [randomUUID(), randomUUID()];
          const start = performance.now();
          await store.claim(key, token, lease);
          await store.complete(key, token, lease.ttlMs);
          latencies.push(performance.now() - start);
          pairs++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const rate = Math.round(pairs / ((performance.now() - t0) / 1000));
    console.log(`  ${name.padEnd(9)} ${String(callers).padStart(4)} callers: ${String(rate).padStart(7)} claim+complete/s, median ${latencies[latencies.length >> 1]!.toFixed(2)} ms`);
  }
}

const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
const schema = `ferry_bench_${run}`;
await migrate(pool, { schema });
const redis = new RedisIdempotencyStore({ url: redisUrl, keyPrefix: `ferry-bench:${run}:` });
const postgres = new PostgresIdempotencyStore({ connectionString: postgresUrl, schema, maxConnections: 8 });
console.log(`stores alone, ${seconds} s per row`);
await measure('redis', redis);
await measure('postgres', postgres);
await Promise.all([redis.close(), postgres.close()]);
await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
await pool.end();
