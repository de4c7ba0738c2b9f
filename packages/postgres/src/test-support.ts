// Test helper (not exported from the package): where the tests find PostgreSQL, and a schema of
// their own per file so runs never collide.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { migrate } from './migrate.ts';

/** FERRY_POSTGRES_URL as the integration harness sets it, else the machine's PostgreSQL. */
export const POSTGRES_URL = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A migrated schema unique to this test file, dropped after it; and a pool the tests may use. */
export function testSchema(): { schema: string; pool: pg.Pool; migrated: Promise<void> } {
  const schema = `ferry_test_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 20 });
  pool.on('error', () => undefined);
  const migrated = migrate(pool, { schema }).then(() => undefined);
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  });
  return { schema, pool, migrated };
}

/** Runs `work` in a transaction of `pool` that ends with `end` (or a rollback if it throws). */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query(end);
    return result;
  } catch (error) {
    await tx.query('ROLLBACK');
    throw error;
  } finally {
    tx.release();
  }
}
