/**
 * A relay's one connection to PostgreSQL and what lives on it: its membership lock, the slots it
 * holds (session advisory locks), and the LISTEN that wakes it. Everything the relay reads and
 * marks goes through this connection, so when it breaks the locks go with it (PostgreSQL releases
 * them as the backend ends) and the relay's next statement fails: it cannot mark rows of slots
 * another relay may have taken over meanwhile.
 */
import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { locksSql, SLOTS, type OutboxIds } from './outbox-sql.ts';

export class RelaySession {
  /** The slots whose rows this relay publishes (held with pg_advisory_lock(slotClass, slot)). */
  readonly slots = new Set<number>();
  #broken: unknown;
  #woken = false;
  #waiter: (() => void) | undefined;
  readonly #onNotification = (n: pg.Notification) => {
    if (n.channel === this.ids.channel) this.wake();
  };
  // A connection that breaks while idle emits 'error': the loop sees `broken` and opens another.
  readonly #onError = (error: Error) => {
    this.#broken ??= error;
    this.wake();
  };

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly ids: OutboxIds,
    private readonly pid: number,
    private readonly queryTimeoutMs: number,
  ) {
    client.on('notification', this.#onNotification);
    client.on('error', this.#onError);
  }

  /** Connects, joins the relays (membership lock) and listens for commits. */
  static async open(pool: pg.Pool, ids: OutboxIds, queryTimeoutMs: number): Promise<RelaySession> {
    const client = await pool.connect();
    let session: RelaySession | undefined;
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      session = new RelaySession(client, ids, rows[0]!.pid, queryTimeoutMs);
      // Relay ids are random; a clash (the lock is taken) just draws again.
      for (let got = false; !got; ) got = (await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [ids.memberClass, randomInt(1, 2 ** 31 - 1)])).rows[0]!.ok;
      await session.query(`LISTEN ${ids.channel}`);
      return session;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** Set once the connection failed: the session must be closed and a new one opened. */
  get broken(): unknown {
    return this.#broken;
  }

  /** A statement on this connection; one that outlives queryTimeoutMs breaks the session. */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#broken) throw this.#broken;
    try {
      return await this.client.query<R>({ text, values, query_timeout: this.queryTimeoutMs } as pg.QueryConfig);
    } catch (error) {
      // A statement the server refused leaves the connection usable; anything else (a timeout, a
      // lost socket) does not.
      if (typeof (error as { code?: unknown }).code !== 'string' || (error as { severity?: unknown }).severity === 'FATAL') this.#broken ??= error;
      throw error;
    }
  }

  /**
   * Shares the slots among the relays alive now (those holding a membership lock): each takes up to
   * ceil(SLOTS / relays). A relay over its share releases slots (between batches, so none of their
   * rows is in flight); one under it takes free slots. Run every rebalance interval.
   */
  async rebalance(): Promise<void> {
    const { rows } = await this.query<{ class: string; n: string; pid: number }>(locksSql, [this.ids.slotClass, this.ids.memberClass]);
    const relays = new Set(rows.filter((r) => Number(r.class) === this.ids.memberClass).map((r) => r.pid)).size;
    const share = Math.ceil(SLOTS / Math.max(1, relays));
    if (this.slots.size > share) {
      const release = [...this.slots].sort((a, b) => b - a).slice(0, this.slots.size - share);
      await this.query('SELECT pg_advisory_unlock($1, s) FROM unnest($2::int[]) AS s', [this.ids.slotClass, release]);
      for (const s of release) this.slots.delete(s);
    } else if (this.slots.size < share) {
      const taken = new Set(rows.filter((r) => Number(r.class) === this.ids.slotClass).map((r) => Number(r.n)));
      const free = Array.from({ length: SLOTS }, (_, s) => s).filter((s) => !taken.has(s) && !this.slots.has(s));
      const wanted = shuffle(free).slice(0, share - this.slots.size);
      if (wanted.length === 0) return;
      // Another relay may take one of them first: those come back false and stay theirs.
      const got = await this.query<{ s: number }>('SELECT s FROM unnest($2::int[]) AS s WHERE pg_try_advisory_lock($1, s)', [this.ids.slotClass, wanted]);
      for (const r of got.rows) this.slots.add(r.s);
    }
  }

  /** Forgets notifications so far: the next `wait` waits for a new one. Called before each fetch. */
  clearWake(): void {
    this.#woken = false;
  }

  /** Whether a commit was notified since `clearWake`. */
  get woken(): boolean {
    return this.#woken;
  }

  /** Until a commit is notified (or was since clearWake), `ms` pass, or `interrupt()`. */
  wait(ms: number): Promise<void> {
    if (this.#woken || this.#broken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#waiter === done) this.#waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiter = done;
    });
  }

  /** Ends a `wait` now (the relay is stopping). */
  interrupt(): void {
    this.#waiter?.();
  }

  /**
   * Releases the locks and the connection. A healthy connection goes back to its pool clean
   * (unlocked, not listening); a broken one is destroyed, which releases the locks on the server.
   */
  async close(): Promise<void> {
    this.interrupt();
    let error = this.#broken;
    if (!error) {
      try {
        await this.query('SELECT pg_advisory_unlock_all(); UNLISTEN *');
      } catch (e) {
        error = e;
      }
    }
    this.slots.clear();
    this.client.off('notification', this.#onNotification);
    if (!error) this.client.off('error', this.#onError);
    this.client.release(error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)));
  }

  private wake(): void {
    this.#woken = true;
    this.#waiter?.();
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
