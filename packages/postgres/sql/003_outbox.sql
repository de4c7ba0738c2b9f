-- The transactional outbox (postgresOutbox): a message is a row inserted in the application's own
-- transaction; a relay publishes committed rows, marks them sent, and deletes them after a retention.
CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE IF NOT EXISTS {{schema}}.{{outbox_table}} (
  -- Insert order. Per key it is also commit order: outbox.publish takes the key's advisory lock
  -- (until the writer's transaction ends) before the row gets its number.
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           text NOT NULL,                -- the message id, kept through the relay (consumers deduplicate on it)
  topic        text NOT NULL,
  type         text NOT NULL,
  key          text,
  slot         smallint NOT NULL,            -- 0..63 from the key (or the id): the unit relays share out
  headers      jsonb NOT NULL,
  payload      bytea NOT NULL,
  published_ms bigint NOT NULL,              -- the envelope's timestamp: the writer's clock at outbox.publish
  delay_ms     bigint,                       -- relative to created_at; the relay sends what is left of it
  priority     integer,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at      timestamptz,                  -- the broker accepted it; deleted after the retention
  failed_at    timestamptz,                  -- the transport refuses it for good (too large, ...): kept, never sent
  error        text
);

-- What the relay reads: rows neither sent nor failed, oldest first.
CREATE INDEX IF NOT EXISTS {{outbox_table_pending_index}} ON {{schema}}.{{outbox_table}} (seq) WHERE sent_at IS NULL AND failed_at IS NULL;
-- What the retention deletes.
CREATE INDEX IF NOT EXISTS {{outbox_table_sent_index}} ON {{schema}}.{{outbox_table}} (sent_at) WHERE sent_at IS NOT NULL;
