/**
 * The idempotency store's statements, each over arrays (`unnest`) so one statement serves a
 * batch. Time is the server's (`clock_timestamp()`). Callers sort a batch by key, so concurrent
 * batches lock rows in one order (no deadlocks between them).
 */

/**
 * $1 keys, $2 tokens, $3 lease ms, $4 ttl ms. Every key's row is written and returned as it is
 * now: ours (token = the one asked for) when the key was new, expired, or its lease had run out.
 */
export const claimSql = (table: string): string => `
INSERT INTO ${table} AS r (key, state, token, claims, claimed_at, lease_until, expires_at)
SELECT i.key, 'p', i.token, 1, i.at, i.at + i.lease_ms * interval '1 millisecond', i.at + greatest(i.lease_ms, i.ttl_ms) * interval '1 millisecond'
FROM (SELECT u.*, clock_timestamp() AS at FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS u(key, token, lease_ms, ttl_ms, n) ORDER BY u.n) AS i
ON CONFLICT (key) DO UPDATE SET
  token       = CASE WHEN r.expires_at <= excluded.claimed_at OR (r.state = 'p' AND r.lease_until <= excluded.claimed_at) THEN excluded.token ELSE r.token END,
  claims      = CASE WHEN r.expires_at <= excluded.claimed_at THEN 1 WHEN r.state = 'p' AND r.lease_until <= excluded.claimed_at THEN r.claims + 1 ELSE r.claims END,
  state       = CASE WHEN r.expires_at <= excluded.claimed_at OR (r.state = 'p' AND r.lease_until <= excluded.claimed_at) THEN 'p' ELSE r.state END,
  claimed_at  = CASE WHEN r.expires_at <= excluded.claimed_at OR (r.state = 'p' AND r.lease_until <= excluded.claimed_at) THEN excluded.claimed_at ELSE r.claimed_at END,
  lease_until = CASE WHEN r.expires_at <= excluded.claimed_at OR (r.state = 'p' AND r.lease_until <= excluded.claimed_at) THEN excluded.lease_until ELSE r.lease_until END,
  expires_at  = CASE WHEN r.expires_at <= excluded.claimed_at OR (r.state = 'p' AND r.lease_until <= excluded.claimed_at) THEN excluded.expires_at ELSE r.expires_at END
RETURNING r.key, r.state, r.token, r.claims, ceil(extract(epoch FROM r.lease_until - clock_timestamp()) * 1000)::bigint AS left_ms`;

/** $1 keys, $2 tokens, $3 lease ms → the keys whose lease was renewed. */
export const extendSql = (table: string): string => `
UPDATE ${table} AS r SET
  lease_until = clock_timestamp() + i.lease_ms * interval '1 millisecond',
  expires_at  = greatest(r.expires_at, clock_timestamp() + i.lease_ms * interval '1 millisecond')
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS i(key, token, lease_ms)
WHERE r.key = i.key AND r.token = i.token AND r.state = 'p' AND r.expires_at > clock_timestamp()
RETURNING r.key`;

/** $1 keys, $2 tokens, $3 ttl ms → the keys completed (held by that token). */
export const completeSql = (table: string): string => `
UPDATE ${table} AS r SET state = 'c', token = NULL, claims = 0, lease_until = NULL,
  expires_at = clock_timestamp() + i.ttl_ms * interval '1 millisecond'
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS i(key, token, ttl_ms)
WHERE r.key = i.key AND r.token = i.token AND r.state = 'p' AND r.expires_at > clock_timestamp()
RETURNING r.key`;

/** $1 keys, $2 tokens: the row goes, so the next claim starts at 1. */
export const releaseSql = (table: string): string => `
DELETE FROM ${table} AS r USING unnest($1::text[], $2::text[]) AS i(key, token)
WHERE r.key = i.key AND r.token = i.token AND r.state = 'p'`;

/** Forgets expired records, a bounded number at a time. */
export const pruneSql = (table: string): string => `
DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED)`;
