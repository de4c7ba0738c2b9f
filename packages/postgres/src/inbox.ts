import { FerryError, KeyInProgressError, noIdError, NonRetryableError, StoreError, type GuardConsumer, type IdempotencyGuard, type MessageContext, type Middleware } from '@ferry/core';
import type pg from 'pg';
import { openConnection, storeError } from './connection.ts';
import { checkSchema } from './migrate.ts';
import { qualified, resolveNames } from './names.ts';

export interface PostgresInboxOptions {
  /** The pool of the database your handlers write to (the inbox's tables live there too). Never closed by Ferry. */
  readonly pool: pg.Pool;
  /** Default `public`. */
  readonly schema?: string;
  /** The table of handled keys. Default `ferry_inbox` (created by `migrate()`). */
  readonly table?: string;
  /** Claim counts, kept outside the handler's transaction. Default `<table>_claims`. */
  readonly claimsTable?: string;
  /**
   * Dead-letter a message whose handler began this many times without ending (its process died
   * each time), instead of running it forever. `false`: no counting (one write less per message).
   * Default 5.
   */
  readonly maxClaims?: number | false;
  /**
   * How long a copy waits for the row lock of a twin still running before it gives up (retryably:
   * the message comes back later). Default 5,000 ms.
   */
  readonly lockTimeoutMs?: number;
  /** How long handled keys are kept (ms): longer than the broker may redeliver a message. Default 7 days. */
  readonly ttlMs?: number;
  /** Keys older than ttlMs are deleted this often (ms; 0: never, call `prune()`). Default 60,000. */
  readonly pruneIntervalMs?: number;
  /** Default `<group>:<message id>`. */
  readonly key?: (ctx: MessageContext) => string;
}

/** The exactly-once guard of a consumer whose handlers write to PostgreSQL, and their transaction. */
export interface PostgresInbox extends IdempotencyGuard {
  /**
   * The transaction of the message being handled: write with it, and the writes commit together
   * with the message's key, before the message is acknowledged. Do not commit, roll back or
   * release it. Throws outside a handler of a consumer using this inbox.
   */
  tx(ctx: MessageContext): pg.PoolClient;
  /** Deletes handled keys (and stale claim counts) older than ttlMs, up to `limit`; returns how many. */
  prune(limit?: number): Promise<number>;
  /** Stops the pruning timer (the pool is yours to end). */
  close(): Promise<void>;
}

/**
 * The inbox in the handler's transaction (MassTransit's inbox is the model). Per message:
 * BEGIN; insert `<group>:<message id>` into the inbox table; run the handler with that
 * transaction (`inbox.tx(ctx)`); COMMIT, and only then is the message acknowledged. A crash
 * anywhere leaves both the handler's writes and the key, or neither. A copy of the message that
 * arrives meanwhile blocks on the key's row lock (at most lockTimeoutMs), then finds the key
 * committed (a duplicate: acknowledged without running) or rolled back (it runs).
 *
 *   const inbox = postgresInbox({ pool });
 *   client.consumer({ group, delivery: 'exactly-once', idempotency: inbox })
 *     .handle(OrderPlaced, async (order, ctx) => {
 *       await inbox.tx(ctx).query('INSERT INTO invoices (order_id) VALUES ($1)', [order.orderId]);
 *     });
 */
export function postgresInbox(options: PostgresInboxOptions): PostgresInbox {
  const { pool, address } = openConnection({ pool: options.pool }, 'postgresInbox');
  const names = resolveNames({ schema: options.schema, inboxTable: options.table, inboxClaimsTable: options.claimsTable });
  const inbox = qualified(names.schema, names.inboxTable);
  const claimsTable = qualified(names.schema, names.inboxClaimsTable);
  const maxClaims = options.maxClaims ?? 5;
  const lockTimeoutMs = Math.max(1, Math.round(options.lockTimeoutMs ?? 5_000));
  const ttlMs = options.ttlMs ?? 7 * 24 * 60 * 60 * 1000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  const transactions = new WeakMap<MessageContext, pg.PoolClient>();
  const listening = new WeakSet<pg.PoolClient>();
  let checked: Promise<void> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;

  const prune = async (limit = 10_000): Promise<number> => {
    const age = `clock_timestamp() - ${Math.round(ttlMs)} * interval '1 millisecond'`;
    const handled = await pool.query(`DELETE FROM ${inbox} WHERE key IN (SELECT key FROM ${inbox} WHERE handled_at < ${age} LIMIT $1 FOR UPDATE SKIP LOCKED)`, [limit]);
    const stale = await pool.query(`DELETE FROM ${claimsTable} WHERE claimed_at < ${age}`);
    return (handled.rowCount ?? 0) + (stale.rowCount ?? 0);
  };

  /** The tables are there (checked once; a failed check is tried again by the next message). */
  const ready = (): Promise<void> => {
    checked ??= checkSchema(pool, names, ['inbox']).then(
      () => {
        if (pruneIntervalMs > 0 && !pruneTimer) {
          pruneTimer = setInterval(() => void prune().catch(() => undefined), pruneIntervalMs);
          pruneTimer.unref();
        }
      },
      (error: unknown) => {
        checked = undefined;
        throw storeError(address, 'checking the inbox schema', error);
      },
    );
    return checked;
  };

  const middleware = (consumer: GuardConsumer): Middleware => {
    const keyOf = options.key ?? ((ctx: MessageContext) => `${consumer.group}:${ctx.envelope.id}`);
    return (next) => async (ctx) => {
      if (!ctx.envelope.id) throw noIdError(ctx);
      await ready();
      const key = keyOf(ctx);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw storeError(address, 'getting a connection for the inbox', error);
      }
      // A checked-out connection that breaks emits 'error' on its client: without a listener the
      // process would crash; the failure reaches the handler through its query instead.
      if (!listening.has(client)) {
        client.on('error', () => undefined);
        listening.add(client);
      }
      const k = client.escapeLiteral(key);
      let broken: unknown;
      try {
        // One round trip: the claim count (committed at once, without waiting for the disk: it is
        // only a crash-loop counter), then the transaction with the key in it. A twin's uncommitted
        // key makes the INSERT wait, at most lock_timeout.
        const count =
          maxClaims === false
            ? ''
            : `BEGIN; SET LOCAL synchronous_commit = off; INSERT INTO ${claimsTable} AS c (key, claims) VALUES (${k}, 1) ON CONFLICT (key) DO UPDATE SET claims = c.claims + 1, claimed_at = clock_timestamp() RETURNING c.claims; COMMIT; `;
        let results: pg.QueryResult[];
        try {
          results = (await client.query(`${count}BEGIN; SET LOCAL lock_timeout = ${lockTimeoutMs}; INSERT INTO ${inbox} (key) VALUES (${k}) ON CONFLICT (key) DO NOTHING`)) as unknown as pg.QueryResult[];
        } catch (error) {
          await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
          if ((error as { code?: string }).code === '55P03') {
            // The twin is still running: this copy did not begin after all.
            if (maxClaims !== false) await client.query(`UPDATE ${claimsTable} SET claims = claims - 1 WHERE key = ${k}`).catch(() => undefined);
            throw new KeyInProgressError(key);
          }
          throw storeError(address, `starting the inbox transaction for ${JSON.stringify(key)}`, error);
        }
        const claims = maxClaims === false ? 1 : Number((results[2]!.rows[0] as { claims: number }).claims);
        const inserted = results[results.length - 1]!.rowCount === 1;
        if (!inserted || (maxClaims !== false && claims > maxClaims)) {
          await client.query(`ROLLBACK${maxClaims === false ? '' : `; DELETE FROM ${claimsTable} WHERE key = ${k}`}`);
          if (!inserted) {
            ctx.outcome = { kind: 'duplicate' };
            return;
          }
          throw new NonRetryableError(
            `Message ${ctx.envelope.id} was begun ${claims - 1} times by attempts that never finished (their process died or was killed while handling it), ` +
              `more than the inbox's maxClaims (${String(maxClaims)}): dead-lettered so it stops crashing consumers. Find why its handler crashes, then redrive it.`,
            { kind: 'crash-loop' },
          );
        }
        transactions.set(ctx, client);
        try {
          await next(ctx);
        } catch (error) {
          transactions.delete(ctx);
          // Rolled back: the handler's writes and the key go together; the claim count starts again.
          await client.query(`ROLLBACK${maxClaims === false ? '' : `; DELETE FROM ${claimsTable} WHERE key = ${k}`}`).catch((e: unknown) => (broken = e));
          throw error;
        }
        transactions.delete(ctx);
        // Committed even when the loop gave up on this attempt (timeout): the effect happened, and
        // a retry waiting on the key's row lock then finds it a duplicate.
        let committed: pg.QueryResult;
        try {
          const done = (await client.query(`${maxClaims === false ? '' : `DELETE FROM ${claimsTable} WHERE key = ${k}; `}COMMIT`)) as unknown as pg.QueryResult | pg.QueryResult[];
          committed = Array.isArray(done) ? done[done.length - 1]! : done;
        } catch (error) {
          await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
          if ((error as { code?: string }).code === '25P02') throw abortedTransaction(key);
          broken ??= error;
          throw storeError(address, `committing the inbox transaction of ${JSON.stringify(key)} (if it did commit, the redelivered copy is a duplicate)`, error);
        }
        if (committed.command !== 'COMMIT') throw abortedTransaction(key);
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    };
  };

  return {
    middleware,
    tx(ctx: MessageContext): pg.PoolClient {
      const client = transactions.get(ctx);
      if (!client) {
        throw new FerryError(
          'FERRY_STATE',
          `inbox.tx(ctx) was called outside the inbox's transaction (message ${JSON.stringify(ctx.envelope?.id)}): call it from a handler of a consumer configured with ` +
            "{ delivery: 'exactly-once', idempotency: inbox }, while the handler runs.",
        );
      }
      return client;
    },
    prune: async (limit) => {
      await ready();
      return prune(limit);
    },
    async close() {
      clearInterval(pruneTimer);
      pruneTimer = undefined;
    },
  };
}

/** COMMIT answered ROLLBACK: a statement of the handler failed and the handler carried on. */
function abortedTransaction(key: string): StoreError {
  return new StoreError(
    `The inbox transaction of ${JSON.stringify(key)} was rolled back instead of committed: a statement of the handler failed inside it and the handler did not rethrow. ` +
      'Nothing of this attempt was kept; the message is retried. Let errors from inbox.tx(ctx) queries propagate (or use a SAVEPOINT to recover inside the transaction).',
  );
}
