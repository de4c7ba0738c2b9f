export { PostgresIdempotencyStore, type PostgresStoreOptions } from './store.ts';
export { postgresInbox, type PostgresInbox, type PostgresInboxOptions } from './inbox.ts';
export { migrate, migrationSql, checkSchema, type Queryable } from './migrate.ts';
export type { TableNames } from './names.ts';
export type { ConnectionOptions } from './connection.ts';
