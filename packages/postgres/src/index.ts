export { PostgresIdempotencyStore, type PostgresStoreOptions } from './store.ts';
export { postgresInbox, type PostgresInbox, type PostgresInboxOptions } from './inbox.ts';
export { migrate, migrationSql, checkSchema, type Queryable } from './migrate.ts';
export type { TableNames } from './names.ts';
export type { ConnectionOptions } from './connection.ts';
export { postgresOutbox, type PostgresOutbox, type PostgresOutboxOptions, type OutboxStatus } from './outbox.ts';
export type { OutboxRelay, RelayStats } from './relay.ts';
export type { RelayOptions } from './relay-options.ts';
