/**
 * The relay: publishes the outbox's committed rows through a Ferry client, oldest first, one
 * bounded batch at a time, and marks them sent. See docs/outbox.md for the guarantees.
 *
 *   loop: rebalance slots (every rebalanceIntervalMs) → fetch ≤ batchSize unsent rows of my slots
 *         → refuse what the transport never could (marked failed) → publishEnvelopes (one call)
 *         → mark sent → again at once, or wait for a NOTIFY / pollIntervalMs when nothing is left
 *
 * A send that fails is not marked: the rows stay in the table and the relay fetches them again
 * after a backoff, so a broker that is down costs nothing but time, and memory holds one batch.
 */
import { ClosedError, FerryError, isRetryable, checkOutgoing, childLogger, errorFields, type Client, type Logger, type OutgoingMessage, type Producer } from '@ferry/core';
import { inspect } from 'node:util';
import type pg from 'pg';
import { describeError } from './connection.ts';
import { toOutgoing, type OutboxRow } from './outbox-row.ts';
import { deleteSentSql, fetchSql, markFailedSql, markSentSql, pruneSql, type OutboxIds } from './outbox-sql.ts';
import { RelaySession } from './relay-session.ts';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from './relay-options.ts';

export interface RelayStats {
  /** Rows published and marked sent. */
  readonly sent: number;
  /** Transport calls that succeeded. */
  readonly batches: number;
  /** Rows the transport refuses for good (marked failed, kept in the table). */
  readonly failed: number;
  /** Sends that failed and were tried again later (the broker down or slow). */
  readonly sendFailures: number;
  /** Times the database connection was lost or a statement failed. */
  readonly databaseFailures: number;
  /** Slots this relay holds now (of 64). */
  readonly slots: number;
  /** Most rows held in memory at once (bounded by batchSize). */
  readonly maxRowsInMemory: number;
  readonly running: boolean;
}

export interface OutboxRelay {
  stats(): RelayStats;
  /**
   * Stops: the batch in flight is finished (sent and marked, or left for later if its send fails),
   * the slots are released and the connection returned. Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves when the relay has stopped (by stop(), or on its own after its client was closed). */
  readonly stopped: Promise<void>;
}

/** Where the relay's table is, and how to reach it. */
export interface RelayTarget {
  readonly pool: pg.Pool;
  readonly address: string;
  readonly table: string;
  readonly ids: OutboxIds;
}

/** Errors that sending again cannot cure: the row is marked failed (alone) or the batch split. */
const PERMANENT = new Set(['FERRY_MESSAGE_TOO_LARGE', 'FERRY_CAPABILITY', 'FERRY_SCHEMA', 'FERRY_CONFIG']);

export class Relay implements OutboxRelay {
  readonly stopped: Promise<void>;
  readonly #options: ResolvedRelayOptions;
  readonly #logger: Logger;
  readonly #producer: Producer;
  readonly #sql: { fetch: string; markSent: string; markFailed: string; prune: string };
  #session: RelaySession | undefined;
  #stopping = false;
  #wakeSleep: (() => void) | undefined;
  /** Rows sent whose mark failed (the connection broke): marked first on the next connection. */
  #unmarked: string[] = [];
  #limit: number;
  /** Fetches that found nothing since the last batch (the idle wait grows with them). */
  #emptyFetches = 0;
  /** Sends failed in a row (the backoff's attempt number). */
  #failedSends = 0;
  #nextRebalance = 0;
  #nextPrune = 0;
  #stats = { sent: 0, batches: 0, failed: 0, sendFailures: 0, databaseFailures: 0, maxRowsInMemory: 0 };

  private constructor(
    private readonly client: Client,
    private readonly target: RelayTarget,
    options: RelayOptions,
    producer: Producer,
    first: RelaySession,
  ) {
    this.#options = resolveRelayOptions(options);
    this.#logger = childLogger(options.logger ?? client.logger, { component: 'ferry-outbox-relay', table: target.table });
    this.#producer = producer;
    this.#limit = this.#options.batchSize;
    const t = target.table;
    this.#sql = { fetch: fetchSql(t), markSent: this.#options.retentionMs === 0 ? deleteSentSql(t) : markSentSql(t), markFailed: markFailedSql(t), prune: pruneSql(t) };
    this.#session = first;
    this.stopped = this.run();
  }

  /** Connects (the first connection's failure is the caller's), then runs until stopped. */
  static async start(client: Client, target: RelayTarget, options: RelayOptions = {}): Promise<Relay> {
    const resolved = resolveRelayOptions(options);
    const producer = client.producer(); // a closed client refuses here, before a connection is taken
    let session: RelaySession;
    try {
      session = await RelaySession.open(target.pool, target.ids, resolved.queryTimeoutMs);
    } catch (error) {
      throw new FerryError('FERRY_STORE', `PostgreSQL (${target.address}): the outbox relay cannot connect: ${describeError(error)}. Check that PostgreSQL is running and reachable from this process.`, { cause: error });
    }
    return new Relay(client, target, options, producer, session);
  }

  stats(): RelayStats {
    return { ...this.#stats, slots: this.#session?.slots.size ?? 0, running: !this.#stopping };
  }

  // Its pool's options may hold a password: what it prints is where it works, not how it connects.
  [inspect.custom](): string {
    return `OutboxRelay { table: ${this.target.table}, address: ${this.target.address}, transport: ${this.client.transport.name}, running: ${!this.#stopping} }`;
  }

  toJSON(): { table: string; address: string; transport: string } {
    return { table: this.target.table, address: this.target.address, transport: this.client.transport.name };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#session?.interrupt();
    this.#wakeSleep?.();
    await this.stopped;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      try {
        const session = (this.#session ??= await RelaySession.open(this.target.pool, this.target.ids, this.#options.queryTimeoutMs));
        if (session.broken) throw session.broken;
        if (this.#unmarked.length > 0) await this.mark(session, this.#unmarked);
        await this.housekeeping(session);
        session.clearWake();
        const rows = session.slots.size === 0 ? [] : await this.fetch(session);
        failures = 0;
        if (rows.length === 0) {
          // Nothing to send: soon after a batch, look again after 5, 10, 20 ms ... up to the poll
          // interval (a writer that looked while that batch was unsent did not notify); a commit's
          // NOTIFY ends the wait at once.
          const pause = Math.min(this.#options.pollIntervalMs, 5 * 2 ** Math.min(this.#emptyFetches++, 20), this.#nextRebalance - Date.now());
          // Checked in the same turn as the wait begins: stop() interrupts only a wait under way.
          if (!this.#stopping) await session.wait(Math.max(1, pause));
          continue;
        }
        this.#emptyFetches = 0;
        await this.relay(session, rows);
      } catch (error) {
        if (this.#stopping) break;
        failures++;
        this.#stats.databaseFailures++;
        this.#logger.warn({ err: errorFields(error), attempt: failures }, `outbox relay: database failure (${describeError(error)}); reconnecting after a backoff`);
        await this.dropSession();
        await this.sleep(this.backoff(failures));
      }
    }
    await this.dropSession();
    await this.#producer.close().catch(() => undefined);
  }

  /** Slot sharing and retention, each on its own interval. */
  private async housekeeping(session: RelaySession): Promise<void> {
    const now = Date.now();
    if (now >= this.#nextRebalance) {
      await session.rebalance();
      this.#nextRebalance = now + this.#options.rebalanceIntervalMs;
    }
    if (now >= this.#nextPrune && this.#options.retentionMs > 0) {
      this.#nextPrune = now + this.#options.pruneIntervalMs;
      // A bounded delete at a time; a backlog of sent rows goes over several intervals.
      await session.query(this.#sql.prune, [this.#options.retentionMs, 10_000]);
    }
  }

  private async fetch(session: RelaySession): Promise<OutboxRow[]> {
    const { rows } = await session.query<OutboxRow>(this.#sql.fetch, [[...session.slots], this.#limit, this.#options.maxBatchBytes]);
    this.#stats.maxRowsInMemory = Math.max(this.#stats.maxRowsInMemory, rows.length);
    return rows;
  }

  /** One batch: refuse the impossible, send the rest in one call, mark them. */
  private async relay(session: RelaySession, rows: readonly OutboxRow[]): Promise<void> {
    const transport = this.client.transport;
    const messages: OutgoingMessage[] = [];
    const seqs: string[] = [];
    const refused: Array<{ row: OutboxRow; error: unknown }> = [];
    for (const row of rows) {
      const message = toOutgoing(row);
      try {
        checkOutgoing(transport, message);
        messages.push(message);
        seqs.push(row.seq);
      } catch (error) {
        refused.push({ row, error });
      }
    }
    if (refused.length > 0) await this.markFailed(session, refused);
    if (messages.length === 0) return;
    try {
      await this.send(messages);
    } catch (error) {
      await this.sendFailed(session, error, rows, messages);
      return;
    }
    this.#stats.batches++;
    this.#failedSends = 0;
    this.#limit = Math.min(this.#options.batchSize, this.#limit * 2);
    this.#unmarked = seqs;
    await this.mark(session, seqs);
    this.#stats.sent += seqs.length;
  }

  private async send(messages: OutgoingMessage[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FerryError('FERRY_PUBLISH', `the transport did not accept a batch of ${messages.length} within sendTimeoutMs (${this.#options.sendTimeoutMs} ms)`)), this.#options.sendTimeoutMs);
    });
    const sending = this.#producer.publishEnvelopes(messages);
    try {
      await Promise.race([sending, timeout]);
    } finally {
      clearTimeout(timer);
      sending.catch(() => undefined);
    }
  }

  private async sendFailed(session: RelaySession, error: unknown, rows: readonly OutboxRow[], messages: readonly OutgoingMessage[]): Promise<void> {
    if (error instanceof ClosedError) {
      // The application closed the client under the relay: nothing more can be sent. The rows stay.
      this.#logger.error({ err: errorFields(error) }, 'outbox relay: its client was closed; the relay stops (stop the relay before closing the client). Unsent rows stay in the outbox.');
      this.#stopping = true;
      return;
    }
    // Whichever message is at fault, a smaller batch finds it: halved after every failure (back to
    // full size by doubling after each success), until one that fails alone is known to be the one.
    this.#limit = Math.max(1, Math.ceil(messages.length / 2));
    if (isPermanent(error)) {
      if (messages.length === 1) {
        const row = rows.find((r) => r.id === messages[0]!.id)!;
        await this.markFailed(session, [{ row, error }]);
      }
      return;
    }
    this.#stats.sendFailures++;
    const attempt = ++this.#failedSends;
    // The first failure of an outage, then one line in ten: a broker down for an hour is not 10,000 lines.
    if (attempt === 1 || attempt % 10 === 0) {
      const alone = messages.length === 1 ? { messageId: messages[0]!.id, topic: messages[0]!.topic } : {};
      this.#logger.warn(
        { err: errorFields(error), messages: messages.length, attempt, ...alone },
        `outbox relay: the send failed (${describeError(error)}); the rows stay in the outbox and are sent again after a backoff` +
          (messages.length === 1 ? ` (message ${messages[0]!.id} alone: if only it keeps failing, the broker refuses it)` : ''),
      );
    }
    await this.sleep(this.backoff(attempt));
  }

  private async markFailed(session: RelaySession, refused: ReadonlyArray<{ row: OutboxRow; error: unknown }>): Promise<void> {
    await session.query(this.#sql.markFailed, [refused.map((r) => r.row.seq), refused.map((r) => describeError(r.error))]);
    this.#stats.failed += refused.length;
    for (const { row, error } of refused) {
      this.#logger.error(
        { messageId: row.id, topic: row.topic, err: errorFields(error) },
        `outbox relay: message ${row.id} (${row.type} to ${row.topic}) can never be sent through ${this.client.transport.name}: ${describeError(error)}. It is marked failed and kept in ${this.target.table}; later messages of its key go on.`,
      );
    }
  }

  private async mark(session: RelaySession, seqs: string[]): Promise<void> {
    await session.query(this.#sql.markSent, [seqs]);
    this.#unmarked = [];
  }

  private async dropSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#nextRebalance = 0; // the next connection takes its slots at once
    await session?.close().catch(() => undefined);
  }

  private backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.#options.retry;
    return Math.round(Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, attempt - 1)) * (0.8 + 0.2 * Math.random()));
  }

  private sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }
}

function isPermanent(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof FerryError && PERMANENT.has(e.code)) return true;
  }
  return !isRetryable(error);
}
