// The outbox commands against the real PostgreSQL (127.0.0.1:5432 or FERRY_POSTGRES_URL): migrate
// (and --print), status, and the relay on memory:// (the same process's broker) until its signal.
import { randomBytes } from 'node:crypto';
import { createClient, defineMessage } from '@ferry/core';
import { postgresOutbox } from '@ferry/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../main.ts';
import { outboxCommands } from './outbox-commands.ts';

const URL = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ferry_cli_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: URL, max: 4 });
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function capture() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => void lines.push(line), text: () => lines.join('\n') };
}

describe('ferry outbox and ferry relay', () => {
  it('outbox migrate --print shows the SQL; migrate creates the tables; status reads them', async () => {
    const sql = capture();
    expect(await main(['outbox', 'migrate', '--print', '--schema', schema, '--table', 'app_outbox'], sql.sink)).toBe(0);
    expect(sql.text()).toMatch(new RegExp(`CREATE TABLE IF NOT EXISTS "${schema}"\\."app_outbox"`));
    const out = capture();
    expect(await main(['outbox', 'migrate', URL, '--schema', schema], out.sink)).toBe(0);
    expect(out.lines[0]).toMatch(/^migrated postgres:.* \(schema "ferry_cli_\w+"\): 001_idempotency.sql, 002_inbox.sql, 003_outbox.sql$/);
    const status = capture();
    expect(await main(['outbox', 'status', URL, '--schema', schema], status.sink)).toBe(0);
    expect(status.text()).toMatch(/pending\s+0\n.*sent\s+0.*\n.*failed\s+0\n\s+relays\s+0, holding 0 of 64 slots/);
  });

  it('relay sends committed rows through the broker URL until its signal, then says what it did', async () => {
    await main(['outbox', 'migrate', URL, '--schema', schema], () => undefined);
    const broker = `memory://cli-relay-${randomBytes(4).toString('hex')}`;
    const Note = defineMessage('cli.note', z.object({ n: z.number() }), { topic: 'cli-notes' });
    const consumer = await createClient(broker);
    const got: number[] = [];
    await consumer.consumer({ group: 'g' }).handle(Note, async (note) => void got.push(note.n)).start();
    const outbox = postgresOutbox({ schema });
    await outbox.publishBatch(pool, [1, 2, 3].map((n) => ({ message: Note, payload: { n } })));
    const stop = new AbortController();
    const out = capture();
    const running = outboxCommands(['relay', URL, broker, '--schema', schema, '--batch', '2', '--poll-ms', '100'], out.sink, () => undefined, stop.signal)!;
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(3);
    expect(out.lines[0]).toMatch(/^relay running: "ferry_cli_\w+"\."ferry_outbox" at postgres:.* -> memory at memory:\/\/cli-relay-/);
    stop.abort();
    expect(await running).toBe(0);
    expect(out.lines.at(-1)).toBe('relay stopped: 3 sent in 2 batches, 0 marked failed, 0 failed sends retried');
    expect(got.sort()).toEqual([1, 2, 3]);
    await consumer.close();
  });

  it('errors: a missing table names the command that creates it; bad flags and URLs are explained, passwords hidden', async () => {
    const err = capture();
    expect(await main(['relay', URL, 'memory://x', '--schema', `${schema}_none`], () => undefined, err.sink)).toBe(1);
    expect(err.lines.at(-1)).toMatch(/^FERRY_STORE: PostgreSQL: "ferry_cli_\w+_none"\."ferry_outbox" does not exist.*ferry outbox migrate <postgres-url> --schema ferry_cli_\w+_none/);
    expect(await main(['relay', URL, 'memory://x', '--batch', 'many'], () => undefined, err.sink)).toBe(1);
    expect(err.lines.at(-1)).toMatch(/--batch must be a whole number >= 1/);
    expect(await main(['relay', URL], () => undefined, err.sink)).toBe(2);
    expect(err.lines.at(-1)).toMatch(/Unknown or incomplete command: relay .*ferry relay <postgres-url> <broker-url>/s);
    expect(await main(['outbox', 'frobnicate'], () => undefined, err.sink)).toBe(2);
    expect(await main(['relay', URL, 'memory://x', '--colour'], () => undefined, err.sink)).toBe(2);
    expect(err.lines.at(-1)).toMatch(/Unknown option '--colour'/);
    expect(await main(['outbox', 'migrate', 'postgres://app:s3cr3t@127.0.0.1:1/db'], () => undefined, err.sink)).toBe(1);
    expect(err.lines.at(-1)).toMatch(/^FERRY_STORE: PostgreSQL \(postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/db\): the migration failed: .*ECONNREFUSED/);
    expect(err.text()).not.toContain('s3cr3t');
  });
});
