/** `ferry outbox status <postgres-url>`: what waits in the outbox, what failed, which relays run. */
import { parseArgs } from 'node:util';
import { redactUrl } from '@ferry/core';
import { postgresOutbox } from '@ferry/postgres';
import { TABLE_FLAGS } from './flags.ts';

export const OUTBOX_STATUS_USAGE = `  ferry outbox status <postgres-url> [--schema S] [--table T]
      Rows pending (and the oldest one's age), sent and kept, marked failed; relays running.`;

export async function outboxStatusCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: TABLE_FLAGS });
  const [url] = positionals;
  if (!url || positionals.length > 1) return -1;
  const outbox = postgresOutbox({ connectionString: url, schema: values.schema, table: values.table, maxConnections: 2 });
  try {
    const s = await outbox.status();
    out(`${outbox.table} at ${redactUrl(url)}`);
    out(`  pending   ${s.pending}${s.pending > 0 ? ` (oldest waiting ${(s.oldestPendingMs / 1000).toFixed(1)} s)` : ''}`);
    out(`  sent      ${s.sent} (kept for the retention)`);
    out(`  failed    ${s.failed}${s.failed > 0 ? ' (refused by the transport for good: see their error column)' : ''}`);
    out(`  relays    ${s.relays}, holding ${s.slotsHeld} of 64 slots`);
  } finally {
    await outbox.close();
  }
  return 0;
}
