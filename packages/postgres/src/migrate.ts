import { readdir, readFile } from 'node:fs/promises';
import { StoreError } from '@ferry/core';
import type pg from 'pg';
import { ident, qualified, resolveNames, type ResolvedNames, type TableNames } from './names.ts';

const SQL_DIR = new URL('../sql/', import.meta.url);
/** Serializes concurrent migrate() calls on one database (any 64-bit number unique to Ferry). */
const MIGRATION_LOCK = 7_212_653_046_841_001n;

/** What `pool` needs to run queries: a pg.Pool, pg.Client or pg.PoolClient. */
export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Creates (or completes) Ferry's tables: every file of `sql/` in order, each idempotent, in one
 * transaction under an advisory lock, so several processes may call it at start-up. Returns the
 * files applied. The `ferry` CLI's migration command calls this.
 */
export async function migrate(pool: Pick<pg.Pool, 'connect'>, names: TableNames = {}): Promise<string[]> {
  const resolved = resolveNames(names);
  const files = (await readdir(SQL_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    for (const file of files) await client.query(fill(await readFile(new URL(file, SQL_DIR), 'utf8'), resolved));
    await client.query('COMMIT');
    return files;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The SQL of the migration files with the identifiers filled in (for review, or to apply by hand). */
export async function migrationSql(names: TableNames = {}): Promise<string> {
  const resolved = resolveNames(names);
  const files = (await readdir(SQL_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const parts = await Promise.all(files.map(async (f) => `-- ${f}\n${fill(await readFile(new URL(f, SQL_DIR), 'utf8'), resolved)}`));
  return parts.join('\n');
}

/** The error for tables that are not there: what is missing, and the two ways to create it. */
export function missingTables(missing: readonly string[], n: ResolvedNames): StoreError {
  const given = [...(n.schema === 'public' ? [] : [`schema: ${JSON.stringify(n.schema)}`]), ...(n.outboxTable === 'ferry_outbox' ? [] : [`outboxTable: ${JSON.stringify(n.outboxTable)}`])];
  const args = given.length === 0 ? '' : `, { ${given.join(', ')} }`;
  const flags = `${n.schema === 'public' ? '' : ` --schema ${n.schema}`}${n.outboxTable === 'ferry_outbox' ? '' : ` --table ${n.outboxTable}`}`;
  return new StoreError(
    `PostgreSQL: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist. Create Ferry's tables once: ` +
      `\`await migrate(pool${args})\` from @ferry/postgres at start-up (idempotent, safe from several processes), ` +
      `or \`ferry outbox migrate <postgres-url>${flags}\` (add --print for the SQL to apply by hand; migrationSql() returns it too).`,
  );
}

function fill(sql: string, n: ResolvedNames): string {
  const values: Record<string, string> = {
    schema: ident(n.schema),
    idempotency_table: ident(n.idempotencyTable),
    idempotency_table_expires_index: ident(`${n.idempotencyTable}_expires`),
    inbox_table: ident(n.inboxTable),
    inbox_table_handled_index: ident(`${n.inboxTable}_handled`),
    inbox_claims_table: ident(n.inboxClaimsTable),
    outbox_table: ident(n.outboxTable),
    outbox_table_pending_index: ident(`${n.outboxTable}_pending`),
    outbox_table_sent_index: ident(`${n.outboxTable}_sent`),
  };
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`migration placeholder {{${name}}} is unknown`);
    return value;
  });
}

/**
 * Checks that the tables `what` needs exist; the error names the missing table and how to create
 * it. The store and the inbox call it at first use.
 */
export async function checkSchema(pool: Queryable, names: TableNames = {}, what: ReadonlyArray<'idempotency' | 'inbox' | 'outbox'> = ['idempotency', 'inbox']): Promise<void> {
  const n = resolveNames(names);
  const tables = [
    ...(what.includes('idempotency') ? [n.idempotencyTable] : []),
    ...(what.includes('inbox') ? [n.inboxTable, n.inboxClaimsTable] : []),
    ...(what.includes('outbox') ? [n.outboxTable] : []),
  ];
  const { rows } = await pool.query<{ name: string; found: string | null }>(
    'SELECT t.name, to_regclass(quote_ident($1) || \'.\' || quote_ident(t.name))::text AS found FROM unnest($2::text[]) AS t(name)',
    [n.schema, tables],
  );
  const missing = rows.filter((r) => r.found === null).map((r) => qualified(n.schema, r.name));
  if (missing.length > 0) {
    throw missingTables(missing, n);
  }
}
