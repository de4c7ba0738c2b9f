// PostgresIdempotencyStore beyond the contract: batching, configuration errors, PostgreSQL down,
// a missing table, a connection lost mid-operation, secrets and ownership. Real PostgreSQL;
// faults through a TCP proxy in front of it.
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { StoreError } from '@ferry/core';
import { startUrlProxy, type UrlProxy } from '@ferry/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSchema, migrate } from './migrate.ts';
import { PostgresIdempotencyStore } from './store.ts';
import { POSTGRES_URL, testSchema } from './test-support.ts';

const { schema, pool, migrated } = testSchema();
const lease = { leaseMs: 5_000, ttlMs: 60_000 };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

function store(options: Partial<ConstructorParameters<typeof PostgresIdempotencyStore>[0]> = {}): PostgresIdempotencyStore {
  const s = new PostgresIdempotencyStore({ schema, ...(options.pool ? {} : { connectionString: POSTGRES_URL }), ...options });
  cleanups.push(() => s.close());
  return s;
}

async function proxy(): Promise<UrlProxy> {
  const p = await startUrlProxy(POSTGRES_URL, 5432);
  cleanups.push(() => p.close());
  return p;
}

describe('PostgresIdempotencyStore batching', () => {
  it('64 concurrent claims, then their completions, go out as a few statements, not 64 each', async () => {
    await migrated;
    const counted = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    cleanups.push(() => counted.end());
    const statements: string[] = [];
    const query = counted.query.bind(counted);
    counted.query = ((text: unknown, ...rest: unknown[]) => {
      if (typeof text === 'string') statements.push(text.trim().split(/\s+/)[0]!);
      return (query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as typeof counted.query;
    const s = store({ pool: counted });
    await s.claim('warm-up', 't', lease); // the schema check and a first statement
    statements.length = 0;
    const keys = Array.from({ length: 64 }, () => randomUUID());
    const claims = await Promise.all(keys.map((k) => s.claim(k, `t-${k}`, lease)));
    expect(claims.every((c) => c.state === 'claimed' && c.claims === 1)).toBe(true);
    const done = await Promise.all(keys.map((k) => s.complete(k, `t-${k}`, 60_000)));
    expect(done.every(Boolean)).toBe(true);
    expect(statements.filter((st) => st === 'INSERT').length).toBeLessThanOrEqual(2);
    expect(statements.filter((st) => st === 'UPDATE').length).toBeLessThanOrEqual(2);
    expect(await Promise.all(keys.map((k) => s.claim(k, 'other', lease)))).toEqual(keys.map(() => ({ state: 'completed' })));
  });

  it('the same key twice in one tick: one claim wins, the other sees it in progress', async () => {
    await migrated;
    const s = store();
    const k = randomUUID();
    const [a, b] = await Promise.all([s.claim(k, 'a', lease), s.claim(k, 'b', lease)]);
    expect([a.state, b.state].sort()).toEqual(['claimed', 'in-progress']);
  });
});

describe('PostgresIdempotencyStore errors', () => {
  it('refuses a connection string that is not postgres://, naming it without its password', () => {
    const make = () => new PostgresIdempotencyStore({ connectionString: 'mysql://app:s3cr3t@db:3306/x' });
    expect(make).toThrow(expect.objectContaining({ code: 'FERRY_CONFIG' }));
    expect(make).toThrow(/mysql:\/\/app:\*\*\*@db:3306\/x.*scheme mysql.*postgres:\/\/user:password@host:5432\/database/);
    expect(make).not.toThrow(/s3cr3t/);
    expect(() => new PostgresIdempotencyStore({})).toThrow(/exactly one of `connectionString` and `pool`/);
    expect(() => new PostgresIdempotencyStore({ connectionString: POSTGRES_URL, table: 'x; drop table y' })).toThrow(/not a plain identifier/);
  });

  it('PostgreSQL down: a FERRY_STORE error naming the address with the password hidden', async () => {
    const s = store({ connectionString: 'postgres://app:s3cr3t@127.0.0.1:1/db', connectTimeoutMs: 1_000 });
    const error = (await s.claim('k', 't', lease).catch((e: unknown) => e)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toMatch(/PostgreSQL \(postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/db\).*failed: .*ECONNREFUSED.*not acknowledged/);
    expect(inspect(error, { depth: 5 })).not.toContain('s3cr3t');
  });

  it('a missing table: the error names it and the function that creates it', async () => {
    const s = store({ schema: `ferry_missing_${randomUUID().slice(0, 8)}` });
    await expect(s.claim('k', 't', lease)).rejects.toMatchObject({
      code: 'FERRY_STORE',
      message: expect.stringMatching(/"ferry_missing_\w+"\."ferry_idempotency" does not exist.*migrate\(pool, \{ schema: "ferry_missing_\w+" \}\)/),
    });
  });

  it('a connection lost mid-operation fails that operation with FERRY_STORE; the next one reconnects', async () => {
    await migrated;
    const p = await proxy();
    const s = store({ connectionString: p.url() });
    const k = randomUUID();
    expect(await s.claim(k, 'a', lease)).toEqual({ state: 'claimed', claims: 1 });
    p.pause();
    const pending = s.complete(k, 'a', 60_000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    p.cutAll();
    p.resume();
    expect(await pending).toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/complete on .* failed/) });
    expect(await s.complete(k, 'a', 60_000)).toBe(true);
  });
});

describe('PostgresIdempotencyStore secrets, ownership, schema', () => {
  it('util.inspect and JSON show the address with the password replaced', () => {
    const s = new PostgresIdempotencyStore({ connectionString: 'postgres://app:s3cr3t@db:5432/orders' });
    cleanups.push(() => s.close());
    expect(inspect(s, { depth: 10, showHidden: true })).not.toContain('s3cr3t');
    expect(inspect(s)).toContain('postgres://app:***@db:5432/orders');
    expect(JSON.stringify(s)).not.toContain('s3cr3t');
  });

  it('a pool given to it stays open after close; prune deletes expired records', async () => {
    await migrated;
    const s = new PostgresIdempotencyStore({ pool, schema, pruneIntervalMs: 0 });
    const k = randomUUID();
    await s.claim(k, 't', lease);
    await s.complete(k, 't', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await s.prune()).toBeGreaterThanOrEqual(1);
    await s.close();
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".ferry_idempotency WHERE key = $1`, [k]);
    expect(rows[0].n).toBe(0);
  });

  it('migrate is idempotent and safe when several processes run it at once; checkSchema then passes', async () => {
    const other = `ferry_migrate_${randomUUID().slice(0, 8)}`;
    cleanups.push(() => pool.query(`DROP SCHEMA IF EXISTS "${other}" CASCADE`));
    const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: POSTGRES_URL, max: 1 }));
    cleanups.push(() => Promise.all(pools.map((p) => p.end())));
    await Promise.all(pools.map((p) => migrate(p, { schema: other })));
    await migrate(pool, { schema: other });
    await expect(checkSchema(pool, { schema: other })).resolves.toBeUndefined();
  });
});
