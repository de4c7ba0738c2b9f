import { inspect } from 'node:util';
import { buildMessage, Client, ConfigError, jsonCodec, StoreError, type BatchEntry, type Codec, type MessageDefinition, type OutgoingMessage, type PayloadIn, type PublishOptions, type Transport } from '@ferry/core';
import { describeError, openConnection, type Connection, type ConnectionOptions } from './connection.ts';
import { checkSchema, missingTables, type Queryable } from './migrate.ts';
import { qualified, resolveNames, type ResolvedNames } from './names.ts';
import { rowArrays, rowParams } from './outbox-row.ts';
import { insertManySql, insertOneSql, locksSql, outboxIds, statusSql, type OutboxIds } from './outbox-sql.ts';
import { Relay, type OutboxRelay } from './relay.ts';
import { resolveRelayOptions, type RelayOptions } from './relay-options.ts';

export interface PostgresOutboxOptions extends ConnectionOptions {
  /** Default `public`. */
  readonly schema?: string;
  /** Default `ferry_outbox` (created by `migrate()` or `ferry outbox migrate`). */
  readonly table?: string;
  /** Encodes payloads (as the client's would). Default JSON. */
  readonly codec?: Codec;
  /**
   * The client (or transport) the relay will send through: each publish is also checked against
   * its limits (size, delay, priority), so a message it could never carry is refused in your
   * transaction instead of failing at the relay. Default: no such check (the relay refuses them,
   * marking the row failed).
   */
  readonly checkAgainst?: Client | Transport;
  /**
   * Keep each key's messages in commit order (default true): publish takes the key's transaction
   * lock, so concurrent transactions publishing one key wait for each other from that call to
   * their commit. false: no lock, and a key's messages may go out in another order.
   */
  readonly orderedByKey?: boolean;
  /** NOTIFY the relays at commit, so an idle relay sends within milliseconds (default true). */
  readonly notify?: boolean;
}

export interface OutboxStatus {
  /** Rows committed and not yet sent. */
  readonly pending: number;
  /** How long the oldest pending row has waited (ms); 0 when none. */
  readonly oldestPendingMs: number;
  /** Sent rows still kept (the retention). */
  readonly sent: number;
  /** Rows the transport refused for good (see their `error` column). */
  readonly failed: number;
  /** Relays connected to this table now, and the slots (of 64) they hold. */
  readonly relays: number;
  readonly slotsHeld: number;
}

/** A transactional outbox in PostgreSQL: publish in your transaction, a relay sends after commit. */
export interface PostgresOutbox {
  /** `"schema"."table"`. */
  readonly table: string;
  /**
   * Validates (the message's zod schema, the options) and inserts the message into the outbox with
   * `tx`, inside the caller's transaction: rolled back, it never existed; committed, a relay will
   * publish it. Resolves to its id. `tx` is a pg client in a transaction (or a pool: then the row
   * commits at once).
   */
  publish<M extends MessageDefinition>(tx: Queryable, message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<string>;
  /** Several messages, one statement, in this order. Resolves to their ids. */
  publishBatch(tx: Queryable, entries: readonly BatchEntry[]): Promise<string[]>;
  /**
   * Starts a relay in this process, sending through `client` (any transport). Resolves once it is
   * connected; rejects if the table is missing (saying how to create it) or PostgreSQL cannot be
   * reached. Needs `pool` or `connectionString`: the relay holds one connection of it.
   */
  startRelay(client: Client, options?: RelayOptions): Promise<OutboxRelay>;
  /** Counts of pending, sent and failed rows, and the relays at work. */
  status(): Promise<OutboxStatus>;
  /** Stops the relays started from it, and ends the pool it made from connectionString (never one given to it). */
  close(): Promise<void>;
}

/**
 *   const outbox = postgresOutbox({ pool });
 *   await tx.query('BEGIN');
 *   await tx.query('INSERT INTO orders ...');
 *   await outbox.publish(tx, OrderPlaced, { orderId, total }, { key: customerId });
 *   await tx.query('COMMIT');                    // now, and only now, it will be published
 *   const relay = await outbox.startRelay(client); // or: ferry relay <postgres-url> <broker-url>
 */
export function postgresOutbox(options: PostgresOutboxOptions = {}): PostgresOutbox {
  return new Outbox(options);
}

class Outbox implements PostgresOutbox {
  readonly table: string;
  readonly #names: ResolvedNames;
  readonly #ids: OutboxIds;
  readonly #codec: Codec;
  readonly #transport: Transport | undefined;
  readonly #connection: Connection | undefined;
  readonly #sql: { one: string; many: string; status: string };
  readonly #relays = new Set<OutboxRelay>();
  #checked: Promise<void> | undefined;

  constructor(options: PostgresOutboxOptions) {
    this.#names = resolveNames({ schema: options.schema, outboxTable: options.table });
    this.table = qualified(this.#names.schema, this.#names.outboxTable);
    this.#ids = outboxIds(this.table);
    this.#codec = options.codec ?? jsonCodec;
    this.#transport = options.checkAgainst instanceof Client ? options.checkAgainst.transport : options.checkAgainst;
    this.#connection = options.pool || options.connectionString ? openConnection(options, 'postgresOutbox') : undefined;
    const insert = { lockKeys: options.orderedByKey ?? true, notify: options.notify ?? true };
    this.#sql = { one: insertOneSql(this.table, this.#ids, insert), many: insertManySql(this.table, this.#ids, insert), status: statusSql(this.table) };
  }

  async publish<M extends MessageDefinition>(tx: Queryable, message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<string> {
    const outgoing = await this.build(message, payload, options);
    await this.insert(tx, this.#sql.one, rowParams(outgoing), 1);
    return outgoing.id;
  }

  async publishBatch(tx: Queryable, entries: readonly BatchEntry[]): Promise<string[]> {
    // Every entry is built (and could be refused) before anything is inserted.
    const built = await Promise.all(entries.map((e) => this.build(e.message, e.payload, e.options)));
    if (built.length === 0) return [];
    await this.insert(tx, this.#sql.many, rowArrays(built), built.length);
    return built.map((m) => m.id);
  }

  async startRelay(client: Client, options: RelayOptions = {}): Promise<OutboxRelay> {
    const connection = this.connection('startRelay');
    resolveRelayOptions(options); // a bad option fails before anything connects
    await this.ready(connection);
    const relay = await Relay.start(client, { pool: connection.pool, address: connection.address, table: this.table, ids: this.#ids }, options);
    this.#relays.add(relay);
    void relay.stopped.finally(() => this.#relays.delete(relay));
    return relay;
  }

  async status(): Promise<OutboxStatus> {
    const connection = this.connection('status');
    await this.ready(connection);
    const [counts, locks] = await Promise.all([
      connection.pool.query<{ pending: string; sent: string; failed: string; oldest_pending_ms: string | null }>(this.#sql.status),
      connection.pool.query<{ class: string; pid: number }>(locksSql, [this.#ids.slotClass, this.#ids.memberClass]),
    ]);
    const c = counts.rows[0]!;
    return {
      pending: Number(c.pending),
      oldestPendingMs: Number(c.oldest_pending_ms ?? 0),
      sent: Number(c.sent),
      failed: Number(c.failed),
      relays: new Set(locks.rows.filter((r) => Number(r.class) === this.#ids.memberClass).map((r) => r.pid)).size,
      slotsHeld: locks.rows.filter((r) => Number(r.class) === this.#ids.slotClass).length,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#relays].map((r) => r.stop()));
    await this.#connection?.close();
  }

  [inspect.custom](): string {
    return `PostgresOutbox { table: ${this.table}${this.#connection ? `, address: ${this.#connection.address}` : ''} }`;
  }

  toJSON(): { table: string; address?: string } {
    return { table: this.table, ...(this.#connection ? { address: this.#connection.address } : {}) };
  }

  private build<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options: PublishOptions | undefined): OutgoingMessage | Promise<OutgoingMessage> {
    return buildMessage(this.#transport, this.#codec, message, payload, options, this.#transport !== undefined);
  }

  private async insert(tx: Queryable, sql: string, params: unknown[], rows: number): Promise<void> {
    try {
      await tx.query(sql, params);
    } catch (error) {
      if ((error as { code?: unknown }).code === '42P01') throw missingTables([this.table], this.#names);
      throw new StoreError(
        `PostgreSQL: inserting ${rows === 1 ? 'a message' : `${rows} messages`} into the outbox ${this.table} failed: ${describeError(error)}. ` +
          'Your transaction is aborted: roll it back (and try it again if the cause was a deadlock or a serialization failure, SQLSTATE 40P01 / 40001).',
        { cause: error },
      );
    }
  }

  private connection(what: string): Connection {
    if (!this.#connection) {
      throw new ConfigError(`postgresOutbox`, `${what}() needs a database connection`, "Create the outbox with { pool } or { connectionString: 'postgres://...' }.");
    }
    return this.#connection;
  }

  /** The table is there (checked once; a failed check is tried again next time). */
  private ready(connection: Connection): Promise<void> {
    this.#checked ??= checkSchema(connection.pool, this.#names, ['outbox']).catch((error: unknown) => {
      this.#checked = undefined;
      if (error instanceof StoreError) throw error;
      throw new StoreError(`PostgreSQL (${connection.address}): checking the outbox table ${this.table} failed: ${describeError(error)}. Check that PostgreSQL is running and reachable from this process.`, { cause: error });
    });
    return this.#checked;
  }
}
