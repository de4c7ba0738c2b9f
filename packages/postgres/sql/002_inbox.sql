-- The inbox (postgresInbox): a message's key is inserted in the transaction of the handler's own
-- writes. Claims are counted outside that transaction (a crash rolls it back), in a table of their own.
CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE IF NOT EXISTS {{schema}}.{{inbox_table}} (
  key          text PRIMARY KEY,             -- <group>:<message id>
  handled_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS {{inbox_table_handled_index}} ON {{schema}}.{{inbox_table}} (handled_at);

CREATE TABLE IF NOT EXISTS {{schema}}.{{inbox_claims_table}} (
  key          text PRIMARY KEY,
  claims       integer NOT NULL,             -- attempts begun and not ended (crashed processes)
  claimed_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
