import { ConfigError, redactText, redactUrl, StoreError } from '@ferry/core';
import pg from 'pg';

export interface ConnectionOptions {
  /** `postgres://user:password@host:5432/database`: the store opens (and closes) its own pool. */
  readonly connectionString?: string;
  /** A pg.Pool you own: used as it is, never closed by Ferry. */
  readonly pool?: pg.Pool;
  /** Connections of a pool made from `connectionString`. Default 10. */
  readonly maxConnections?: number;
  /** How long getting a connection may take. Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
}

/** A pool and what to say about it in errors (never with its password). */
export interface Connection {
  readonly pool: pg.Pool;
  readonly address: string;
  /** Ends the pool if Ferry made it. */
  close(): Promise<void>;
}

export function openConnection(options: ConnectionOptions, what: string): Connection {
  if ((options.connectionString === undefined) === (options.pool === undefined)) {
    throw new ConfigError(what, 'give exactly one of `connectionString` and `pool`', "Pass { connectionString: 'postgres://user@127.0.0.1:5432/db' }, or { pool } with a pg.Pool.");
  }
  if (options.pool) {
    if (typeof options.pool.connect !== 'function') throw new ConfigError(`${what}.pool`, 'must be a pg.Pool', 'Pass new pg.Pool({ ... }).');
    return { pool: options.pool, address: describePool(options.pool), close: async () => undefined };
  }
  const url = options.connectionString!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${what}.connectionString`, `${redactUrl(url)} is not a URL`, "Use postgres://user:password@host:5432/database, e.g. 'postgres://postgres@127.0.0.1:5432/app'.");
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`${what}.connectionString`, `${redactUrl(url)} has the scheme ${parsed.protocol.replace(':', '')}`, "Use postgres://user:password@host:5432/database, e.g. 'postgres://postgres@127.0.0.1:5432/app'.");
  }
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000 });
  // An idle connection that breaks emits 'error' on the pool; without a listener it would crash the
  // process. The next query gets a fresh connection.
  pool.on('error', () => undefined);
  let ended: Promise<void> | undefined;
  return { pool, address: redactUrl(url), close: () => (ended ??= pool.end()) };
}

/** host:port/database of a pool given to Ferry (its options may hold a password: only these parts are shown). */
function describePool(pool: pg.Pool): string {
  const o = (pool as unknown as { options?: { host?: string; port?: number; database?: string; connectionString?: string } }).options ?? {};
  if (o.connectionString) return redactUrl(o.connectionString);
  return `postgres://${o.host ?? process.env.PGHOST ?? 'localhost'}:${o.port ?? process.env.PGPORT ?? 5432}/${o.database ?? process.env.PGDATABASE ?? ''}`;
}

/** A pg error as one line, credentials removed, with its SQLSTATE. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return redactText(`${error.message || error.name}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** Wraps a failure of `what` against the database at `address` in a StoreError that says what to do. */
export function storeError(address: string, what: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(
    `PostgreSQL (${address}): ${what} failed: ${describeError(error)}. The message is not acknowledged and will be retried. ` +
      'Check that PostgreSQL is running and reachable from this process.',
    { cause: error },
  );
}
