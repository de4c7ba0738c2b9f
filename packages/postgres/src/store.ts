import { inspect } from 'node:util';
import type { ClaimResult, IdempotencyStore } from '@ferry/core';
import type pg from 'pg';
import { StatementBatcher } from './batcher.ts';
import { openConnection, storeError, type Connection, type ConnectionOptions } from './connection.ts';
import { checkSchema } from './migrate.ts';
import { qualified, resolveNames } from './names.ts';
import { claimSql, completeSql, extendSql, pruneSql, releaseSql } from './store-sql.ts';

export interface PostgresStoreOptions extends ConnectionOptions {
  /** Default `public`. */
  readonly schema?: string;
  /** Default `ferry_idempotency` (created by `migrate()`). */
  readonly table?: string;
  /** Statements of one kind in flight at once; what arrives meanwhile waits for the next batch. Default 2. */
  readonly maxBatchesInFlight?: number;
  /** Expired records are deleted this often (ms; 0: never, call `prune()` yourself). Default 60,000. */
  readonly pruneIntervalMs?: number;
}

interface Row {
  key: string;
  state: string;
  token: string | null;
  claims: number;
  left_ms: string | null;
}

/** One call: `ms` is the lease (claim, extend) or the TTL (complete). */
type Op = { readonly key: string; readonly token: string; readonly ms: number; readonly ttlMs?: number };

/** Deadlock and serialization failures: the batch is run again (it changed nothing). */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * An IdempotencyStore in PostgreSQL, shared by every process of a group: one row per key, the
 * server's clock, and the calls of one kind made at once batched into one statement over arrays.
 * The table comes from `migrate()`; the first use checks it is there.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  readonly address: string;
  readonly table: string;
  readonly #connection: Connection;
  readonly #names: ReturnType<typeof resolveNames>;
  readonly #claims: StatementBatcher<Op, ClaimResult>;
  readonly #extends: StatementBatcher<Op, boolean>;
  readonly #completes: StatementBatcher<Op, boolean>;
  readonly #releases: StatementBatcher<Op, void>;
  readonly #sql: { claim: string; extend: string; complete: string; release: string; prune: string };
  readonly #pruneIntervalMs: number;
  #checked: Promise<void> | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    this.#connection = openConnection(options, 'postgres store');
    this.address = this.#connection.address;
    this.#names = resolveNames({ schema: options.schema, idempotencyTable: options.table });
    this.table = qualified(this.#names.schema, this.#names.idempotencyTable);
    this.#sql = { claim: claimSql(this.table), extend: extendSql(this.table), complete: completeSql(this.table), release: releaseSql(this.table), prune: pruneSql(this.table) };
    this.#pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
    const inFlight = options.maxBatchesInFlight ?? 2;
    this.#claims = new StatementBatcher((ops) => this.claimBatch(ops), inFlight);
    this.#extends = new StatementBatcher((ops) => this.keysBatch('extend', this.#sql.extend, ops), inFlight);
    this.#completes = new StatementBatcher((ops) => this.keysBatch('complete', this.#sql.complete, ops), inFlight);
    this.#releases = new StatementBatcher<Op, void>(async (ops) => {
      await this.query('release', this.#sql.release, [ops.map((o) => o.key), ops.map((o) => o.token)]);
      return ops.map(() => undefined);
    }, inFlight);
  }

  claim(key: string, token: string, lease: { readonly leaseMs: number; readonly ttlMs: number }): Promise<ClaimResult> {
    return this.#claims.add({ key, token, ms: lease.leaseMs, ttlMs: lease.ttlMs });
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    return this.#extends.add({ key, token, ms: leaseMs });
  }

  complete(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.#completes.add({ key, token, ms: ttlMs });
  }

  release(key: string, token: string): Promise<void> {
    return this.#releases.add({ key, token, ms: 0 });
  }

  /** Deletes up to `limit` expired records now; returns how many. Runs by itself every pruneIntervalMs. */
  async prune(limit = 10_000): Promise<number> {
    return (await this.query('prune', this.#sql.prune, [limit])).rowCount ?? 0;
  }

  /** Ends the pool the store made from its connection string; a pool given to it is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    await this.#connection.close();
  }

  [inspect.custom](): string {
    return `PostgresIdempotencyStore { address: ${this.address}, table: ${this.table} }`;
  }

  toJSON(): { address: string; table: string } {
    return { address: this.address, table: this.table };
  }

  private async claimBatch(ops: readonly Op[]): Promise<ClaimResult[]> {
    const sorted = [...ops].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const { rows } = await this.query<Row>('claim', this.#sql.claim, [
      sorted.map((o) => o.key),
      sorted.map((o) => o.token),
      sorted.map((o) => o.ms),
      sorted.map((o) => o.ttlMs ?? 0),
    ]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return ops.map((op): ClaimResult => {
      const row = byKey.get(op.key)!;
      if (row.state === 'c') return { state: 'completed' };
      if (row.token === op.token) return { state: 'claimed', claims: row.claims };
      return { state: 'in-progress', retryInMs: Math.max(1, Number(row.left_ms ?? 1)) };
    });
  }

  private async keysBatch(what: string, sql: string, ops: readonly Op[]): Promise<boolean[]> {
    const sorted = [...ops].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const { rows } = await this.query<{ key: string }>(what, sql, [sorted.map((o) => o.key), sorted.map((o) => o.token), sorted.map((o) => o.ms)]);
    const done = new Set(rows.map((r) => r.key));
    return ops.map((o) => done.has(o.key));
  }

  private async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw storeError(this.address, what, new Error('the store is closed; create a new one'));
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#connection.pool.query<R>(sql, params);
      } catch (error) {
        if (attempt < 3 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw storeError(this.address, `${what} on ${this.table}`, error);
      }
    }
  }

  /** The table is there (checked once; a failed check is tried again next time), and pruning runs. */
  private ready(): Promise<void> {
    if (!this.#checked) {
      const checking = checkSchema(this.#connection.pool, this.#names, ['idempotency']).catch((error: unknown) => {
        this.#checked = undefined;
        throw storeError(this.address, 'checking the schema', error);
      });
      this.#checked = checking;
      void checking.then(() => this.startPruning(), () => undefined);
    }
    return this.#checked;
  }

  private startPruning(): void {
    if (this.#pruneIntervalMs <= 0 || this.#pruneTimer || this.#closed) return;
    this.#pruneTimer = setInterval(() => void this.prune().catch(() => undefined), this.#pruneIntervalMs);
    this.#pruneTimer.unref();
  }
}
