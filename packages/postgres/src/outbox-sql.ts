/**
 * The outbox's statements. Writers insert rows in their own transaction; relays read the oldest
 * unsent rows of the slots they hold, mark them sent, and delete them after the retention.
 * docs/outbox.md explains the ordering and the locks.
 */
import { createHash } from 'node:crypto';

/** Keys (or ids, for keyless messages) are spread over this many slots; a relay holds some or all. */
export const SLOTS = 64;

/** Identifiers derived from the table: lock classes, the key-lock seed and the NOTIFY channel. */
export interface OutboxIds {
  /** The relays' slot locks: pg_advisory_lock(slotClass, slot). */
  readonly slotClass: number;
  /** A relay's membership lock: pg_advisory_lock(memberClass, relay id); counted to share the slots. */
  readonly memberClass: number;
  /** Seed of the writers' per-key transaction lock: pg_advisory_xact_lock(hashtextextended(key, seed)). */
  readonly keySeed: string;
  /** LISTEN/NOTIFY channel (an identifier under 63 bytes). */
  readonly channel: string;
}

export function outboxIds(qualifiedTable: string): OutboxIds {
  const digest = (what: string) => createHash('sha256').update(`ferry-outbox:${what}:${qualifiedTable}`).digest();
  return {
    slotClass: digest('slots').readUInt32BE(0) & 0x7fffffff,
    memberClass: digest('relays').readUInt32BE(0) & 0x7fffffff,
    keySeed: digest('keys').readUIntBE(0, 6).toString(),
    channel: `ferry_outbox_${digest('channel').toString('hex').slice(0, 16)}`,
  };
}

/** The columns a writer fills, in the order of the insert statements' parameters. */
const COLUMNS = 'id, topic, type, key, slot, headers, payload, published_ms, delay_ms, priority';
const SLOT = (key: string, id: string) => `(hashtextextended(coalesce(${key}, ${id}), 0) & ${SLOTS - 1})::smallint`;

export interface InsertOptions {
  /** Take each key's transaction lock first, so a key's rows are numbered in commit order. */
  readonly lockKeys: boolean;
  /** NOTIFY the relays at commit when the outbox had nothing unsent (they are idle then). */
  readonly notify: boolean;
}

/**
 * The guards every insert carries, evaluated once before any row is numbered (a one-time filter):
 * the keys' advisory locks, taken in hash order so concurrent batches cannot deadlock each other,
 * and the NOTIFY (delivered by PostgreSQL at commit, and only then). A transaction that notifies
 * takes a database-wide lock from its commit until it ends, so notifying transactions commit one at
 * a time: only a transaction that finds no unsent row notifies (the relays are idle then; while rows
 * wait they are busy and need no wake-up), and the relays poll briefly after their last batch for
 * the rows of transactions that looked before that batch was marked.
 */
/** `keys`: a relation with the keys in its column k. */
function guards(table: string, ids: OutboxIds, options: InsertOptions, keys: string): { ctes: string; where: string } {
  const ctes: string[] = [];
  const where: string[] = [];
  if (options.lockKeys) {
    ctes.push(`locks AS MATERIALIZED (SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, ${ids.keySeed}) AS h FROM ${keys} WHERE k IS NOT NULL ORDER BY 1) AS hashes)`);
    where.push('(SELECT count(*) FROM locks) >= 0');
  }
  if (options.notify) {
    ctes.push(`wake AS MATERIALIZED (SELECT pg_notify('${ids.channel}', '') WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE sent_at IS NULL AND failed_at IS NULL))`);
    where.push('(SELECT count(*) FROM wake) >= 0');
  }
  return { ctes: ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : '', where: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '' };
}

/** One row: $1 id, $2 topic, $3 type, $4 key, $5 headers (json), $6 payload, $7 published ms, $8 delay ms, $9 priority. */
export function insertOneSql(table: string, ids: OutboxIds, options: InsertOptions): string {
  const g = guards(table, ids, options, '(VALUES ($4::text)) AS keys(k)');
  return `${g.ctes}INSERT INTO ${table} (${COLUMNS})
SELECT $1::text, $2::text, $3::text, $4::text, ${SLOT('$4::text', '$1::text')}, $5::jsonb, $6::bytea, $7::bigint, $8::bigint, $9::integer ${g.where}`;
}

/** Several rows, numbered in the order given: the same parameters, each an array. */
export function insertManySql(table: string, ids: OutboxIds, options: InsertOptions): string {
  const g = guards(table, ids, options, 'unnest($4::text[]) AS keys(k)');
  return `${g.ctes}INSERT INTO ${table} (${COLUMNS})
SELECT u.id, u.topic, u.type, u.key, ${SLOT('u.key', 'u.id')}, u.headers, u.payload, u.published_ms, u.delay_ms, u.priority
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::bigint[], $8::bigint[], $9::integer[])
  WITH ORDINALITY AS u(id, topic, type, key, headers, payload, published_ms, delay_ms, priority, n)
${g.where}
ORDER BY u.n`;
}

/**
 * $1 slots, $2 most rows, $3 most payload bytes (the first row always comes). The oldest unsent
 * rows of those slots, with what is left of each delay by the server's clock.
 */
export function fetchSql(table: string): string {
  return `SELECT seq, id, topic, type, key, headers, payload, published_ms, priority,
  CASE WHEN delay_ms IS NULL THEN NULL ELSE greatest(0, delay_ms - floor(extract(epoch FROM clock_timestamp() - created_at) * 1000))::bigint END AS delay_left_ms,
  floor(extract(epoch FROM created_at) * 1000)::bigint AS created_ms
FROM (
  SELECT *, sum(octet_length(payload)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS upto
  FROM ${table} WHERE sent_at IS NULL AND failed_at IS NULL AND slot = ANY($1::smallint[])
  ORDER BY seq LIMIT $2
) AS r
WHERE r.upto - octet_length(r.payload) < $3
ORDER BY seq`;
}

/** $1 seqs: sent (kept for the retention). */
export const markSentSql = (table: string): string => `UPDATE ${table} SET sent_at = clock_timestamp() WHERE seq = ANY($1::bigint[])`;

/** $1 seqs: sent, and with no retention gone at once. */
export const deleteSentSql = (table: string): string => `DELETE FROM ${table} WHERE seq = ANY($1::bigint[])`;

/** $1 seqs, $2 errors: refused for good by the transport; kept (never pruned) for someone to look at. */
export const markFailedSql = (table: string): string =>
  `UPDATE ${table} AS t SET failed_at = clock_timestamp(), error = f.error FROM unnest($1::bigint[], $2::text[]) AS f(seq, error) WHERE t.seq = f.seq`;

/** $1 retention ms, $2 most rows: sent rows older than the retention, a bounded number at a time. */
export const pruneSql = (table: string): string =>
  `DELETE FROM ${table} WHERE seq IN (SELECT seq FROM ${table} WHERE sent_at < clock_timestamp() - $1::bigint * interval '1 millisecond' LIMIT $2 FOR UPDATE SKIP LOCKED)`;

/** Counts for `ferry outbox status` and outbox.status(). */
export const statusSql = (table: string): string => `SELECT
  count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL)::bigint AS pending,
  count(*) FILTER (WHERE sent_at IS NOT NULL)::bigint AS sent,
  count(*) FILTER (WHERE failed_at IS NOT NULL)::bigint AS failed,
  floor(extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL)) * 1000)::bigint AS oldest_pending_ms
FROM ${table}`;

/** $1 slot class, $2 member class: the advisory locks of this outbox's relays, in this database. */
export const locksSql = `SELECT classid::bigint AS class, objid::bigint AS n, pid FROM pg_locks
WHERE locktype = 'advisory' AND objsubid = 2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid::bigint IN ($1::bigint, $2::bigint)`;
