/**
 * The consumer of the outbox tests: exactly-once with the PostgreSQL inbox, its effect a row in
 * `effects` written in the inbox's transaction (numbered, so the order of effects per key can be
 * read back). Deliveries are counted by id before the inbox step, so copies the broker delivered
 * are seen even when the inbox suppresses them.
 */
import type { Client, MessageDefinition, Middleware } from '@ferry/core';
import { postgresInbox } from '@ferry/postgres';
import pg from 'pg';

export interface CountingConsumer {
  /** Deliveries per message id, copies included. */
  readonly deliveries: Map<string, number>;
  /** Distinct ids with an effect. */
  effects(): Promise<number>;
  close(): Promise<void>;
}

export async function startCountingConsumer(options: {
  readonly client: Client;
  readonly postgresUrl: string;
  readonly schema: string;
  readonly message: MessageDefinition;
  readonly group: string;
  readonly concurrency: number;
}): Promise<CountingConsumer> {
  const { client, schema } = options;
  const pool = new pg.Pool({ connectionString: options.postgresUrl, max: options.concurrency + 2 });
  pool.on('error', () => undefined);
  const effects = `"${schema}".effects`;
  await pool.query(`CREATE TABLE ${effects} (seq bigserial PRIMARY KEY, id text NOT NULL, key text)`);
  const inbox = postgresInbox({ pool, schema, pruneIntervalMs: 0 });
  const deliveries = new Map<string, number>();
  const count: Middleware = (next) => (ctx) => {
    deliveries.set(ctx.envelope.id, (deliveries.get(ctx.envelope.id) ?? 0) + 1);
    return next(ctx);
  };
  const consumer = client
    .consumer({
      group: options.group,
      delivery: 'exactly-once',
      idempotency: inbox,
      concurrency: options.concurrency,
      retry: { attempts: 1_000, initialDelayMs: 50, maxDelayMs: 500, jitter: 0.2 },
      middleware: [{ name: 'count-deliveries', middleware: count, before: 'idempotency' }],
    })
    .handle(options.message, async (_payload, ctx) => {
      await inbox.tx(ctx).query(`INSERT INTO ${effects} (id, key) VALUES ($1, $2)`, [ctx.envelope.id, ctx.envelope.key ?? null]);
    });
  await consumer.start();
  return {
    deliveries,
    effects: async () => Number((await pool.query<{ n: string }>(`SELECT count(DISTINCT id) AS n FROM ${effects}`)).rows[0]!.n),
    close: async () => {
      await consumer.close({ timeoutMs: 5_000 });
      await inbox.close();
      await pool.end();
    },
  };
}
