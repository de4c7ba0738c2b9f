/** `ferry outbox migrate <postgres-url>`: creates Ferry's tables (the outbox among them), or prints the SQL. */
import { parseArgs } from 'node:util';
import { FerryError, redactText, redactUrl } from '@ferry/core';
import { migrate, migrationSql, type TableNames } from '@ferry/postgres';
import pg from 'pg';
import { TABLE_FLAGS } from './flags.ts';

export const OUTBOX_MIGRATE_USAGE = `  ferry outbox migrate <postgres-url> [--schema S] [--table T] [--print]
      Creates Ferry's PostgreSQL tables (the outbox, the inbox, the idempotency store) where
      missing; idempotent, safe from several processes. --print only prints the SQL (no URL needed).`;

export async function outboxMigrateCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...TABLE_FLAGS, print: { type: 'boolean' } } });
  const [url] = positionals;
  const names: TableNames = { schema: values.schema, outboxTable: values.table };
  if (values.print) {
    out(await migrationSql(names));
    return 0;
  }
  if (!url || positionals.length > 1) return -1;
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  try {
    const files = await migrate(pool, names).catch((error: unknown) => {
      throw error instanceof FerryError ? error : new FerryError('FERRY_STORE', `PostgreSQL (${redactUrl(url)}): the migration failed: ${redactText((error as Error).message)}. Nothing was changed (it runs in one transaction).`, { cause: error });
    });
    out(`migrated ${redactUrl(url)} (schema ${JSON.stringify(names.schema ?? 'public')}): ${files.join(', ')}`);
  } finally {
    await pool.end();
  }
  return 0;
}
