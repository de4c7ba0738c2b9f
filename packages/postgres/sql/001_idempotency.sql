-- The idempotency store's records (PostgresIdempotencyStore). Idempotent: migrate() runs every
-- file each time, under an advisory lock; {{...}} are quoted identifiers filled in by migrate().
CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE IF NOT EXISTS {{schema}}.{{idempotency_table}} (
  key          text PRIMARY KEY,             -- <group>:<message id>
  state        "char" NOT NULL,              -- 'p' claimed (in progress), 'c' completed
  token        text,                         -- the holder of a claim
  claims       integer NOT NULL,             -- claims since the last release or completion
  claimed_at   timestamptz,
  lease_until  timestamptz,                  -- a claim runs out then unless extended
  expires_at   timestamptz NOT NULL          -- the record is forgotten then (completed: the TTL)
);

CREATE INDEX IF NOT EXISTS {{idempotency_table_expires_index}} ON {{schema}}.{{idempotency_table}} (expires_at);
