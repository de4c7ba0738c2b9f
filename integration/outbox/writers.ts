/**
 * Concurrent writer transactions, as an application writes: each publishes 1-4 messages of distinct
 * keys with outbox.publishBatch, then bumps each key's counter in `counters` (a row lock held to
 * commit: its values are the key's commit order) and records it in `witness`; one in twenty rolls
 * back instead of committing. The consumer's order is checked against the witness.
 */
import { randomInt } from 'node:crypto';
import type { MessageDefinition } from '@ferry/core';
import type { PostgresOutbox } from '@ferry/postgres';
import type pg from 'pg';

export interface WriteLog {
  /** Ids of committed messages, in no particular order. */
  readonly committed: string[];
  /** Ids of messages whose transaction rolled back (they must never arrive). */
  readonly rolledBack: string[];
  transactions: number;
  rollbacks: number;
}

export interface Writers {
  readonly log: WriteLog;
  /** Writes (with `concurrency` transactions at once) until `upTo` messages have committed in total. */
  writeUntil(upTo: number): Promise<void>;
}

export async function createWriters(options: {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly outbox: PostgresOutbox;
  readonly message: MessageDefinition;
  readonly keys: number;
  readonly concurrency: number;
  readonly run: string;
}): Promise<Writers> {
  const { pool, outbox, message, keys, run } = options;
  const counters = `"${options.schema}".counters`;
  const witness = `"${options.schema}".witness`;
  await pool.query(`CREATE TABLE ${counters} (key text PRIMARY KEY, n integer NOT NULL)`);
  await pool.query(`CREATE TABLE ${witness} (id text PRIMARY KEY, key text NOT NULL, n integer NOT NULL)`);
  await pool.query(`INSERT INTO ${counters} SELECT 'key-' || k, 0 FROM generate_series(0, ${keys - 1}) AS k`);
  const log: WriteLog = { committed: [], rolledBack: [], transactions: 0, rollbacks: 0 };
  let reserved = 0;
  let next = 0;

  const transaction = async (upTo: number): Promise<boolean> => {
    const count = Math.min(1 + randomInt(4), upTo - reserved);
    if (count <= 0) return false;
    reserved += count;
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(`key-${randomInt(keys)}`);
    const entries = [...chosen].map((key) => {
      const n = next++;
      return { message, payload: { n }, options: { id: `${run}-${n}`, key } };
    });
    const rollback = randomInt(20) === 0;
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await outbox.publishBatch(tx, entries);
      const { rows } = await tx.query<{ key: string; n: number }>(`UPDATE ${counters} SET n = n + 1 WHERE key = ANY($1) RETURNING key, n`, [[...chosen]]);
      const rank = new Map(rows.map((r) => [r.key, r.n]));
      await tx.query(`INSERT INTO ${witness} (id, key, n) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`, [
        entries.map((e) => e.options.id),
        entries.map((e) => e.options.key),
        entries.map((e) => rank.get(e.options.key)!),
      ]);
      await tx.query(rollback ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      tx.release();
      reserved -= count;
      throw error;
    }
    tx.release();
    log.transactions++;
    if (rollback) {
      log.rollbacks++;
      reserved -= count;
      log.rolledBack.push(...entries.map((e) => e.options.id));
    } else {
      log.committed.push(...entries.map((e) => e.options.id));
    }
    return true;
  };

  return {
    log,
    writeUntil: async (upTo) => {
      await Promise.all(Array.from({ length: options.concurrency }, async () => {
        // A transaction that rolls back frees its share: whoever is left writes it again.
        while (log.committed.length < upTo) if (!(await transaction(upTo))) await new Promise((r) => setTimeout(r, 2));
      }));
    },
  };
}
