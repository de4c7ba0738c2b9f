// The relay against the real PostgreSQL, sending through the in-process transport: what it sends
// (the envelope kept, only committed rows, none skipped), in which order (per key, commit order,
// under concurrent writers and with two relays), and how it behaves when the broker is down, a
// message can never be sent, its connection dies, or it is stopped. Broker runs (and SIGKILLs) are
// in integration/outbox/.
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { createClient, defineMessage, NonRetryableError, type Client, type ClientOptions, type Envelope, type PublishMiddleware } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate } from './migrate.ts';
import { postgresOutbox, type PostgresOutbox, type PostgresOutboxOptions } from './outbox.ts';
import { outboxIds } from './outbox-sql.ts';
import type { OutboxRelay } from './relay.ts';
import type { RelayOptions } from './relay-options.ts';
import { inTransaction as inTransactionOf, POSTGRES_URL, testSchema } from './test-support.ts';

const { schema, pool, migrated } = testSchema();
const Item = defineMessage('relay.item', z.object({ n: z.number().int(), writer: z.number().int().optional() }), { topic: 'items' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

interface Received {
  readonly envelope: Envelope;
  readonly n: number;
  readonly at: number;
}

/** An outbox table of its own, a memory broker of its own, and a consumer recording what arrives. */
async function setup(outboxOptions: Partial<PostgresOutboxOptions> = {}, clientOptions: ClientOptions = {}, transportOptions: { maxMessageBytes?: number } = {}) {
  await migrated;
  const table = `outbox_${randomUUID().slice(0, 8)}`;
  await migrate(pool, { schema, outboxTable: table });
  const broker = `relay-${randomUUID()}`;
  const outbox = postgresOutbox({ pool, schema, table, ...outboxOptions });
  const client = await createClient(new MemoryTransport({ broker, ...transportOptions }), clientOptions);
  const consumerClient = await createClient(new MemoryTransport({ broker }));
  const received: Received[] = [];
  await consumerClient
    .consumer({ group: 'g', concurrency: 1 })
    .handle(Item, async (item, ctx) => void received.push({ envelope: ctx.envelope, n: item.n, at: Date.now() }))
    .start();
  cleanups.push(() => consumerClient.close({ timeoutMs: 1_000 }), () => client.close({ timeoutMs: 1_000 }), () => outbox.close());
  const start = async (options: RelayOptions = {}, via: Client = client): Promise<OutboxRelay> => {
    const relay = await outbox.startRelay(via, { pollIntervalMs: 200, rebalanceIntervalMs: 100, retry: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
    cleanups.push(() => relay.stop());
    return relay;
  };
  const qualifiedTable = `"${schema}"."${table}"`;
  return { outbox, table: qualifiedTable, client, received, start, ids: outboxIds(qualifiedTable) };
}

const tx = <T>(work: (tx: pg.PoolClient) => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<T> => inTransactionOf(pool, work, end);

/** Ids seen more than once, and ids expected but not seen. */
function tally(received: readonly Received[], expected: readonly string[]): { lost: number; duplicated: number } {
  const seen = new Map<string, number>();
  for (const r of received) seen.set(r.envelope.id, (seen.get(r.envelope.id) ?? 0) + 1);
  return { lost: expected.filter((id) => !seen.has(id)).length, duplicated: [...seen.values()].filter((c) => c > 1).length };
}

async function publishMany(outbox: PostgresOutbox, count: number, key?: (n: number) => string | undefined): Promise<string[]> {
  return tx((c) => outbox.publishBatch(c, Array.from({ length: count }, (_, n) => ({ message: Item, payload: { n }, options: key?.(n) ? { key: key(n)! } : {} }))));
}

describe('outbox relay: what it sends', () => {
  it('publishes committed rows with id, type, key, headers, payload and timestamp kept; never a rolled-back one', async () => {
    const { outbox, received, start } = await setup();
    await start();
    const before = Date.now();
    const id = await tx((c) => outbox.publish(c, Item, { n: 1 }, { key: 'k-1', headers: { tenant: 'acme', 'x-unicode': 'ünï ✓' } }));
    const rolledBack = await tx((c) => outbox.publish(c, Item, { n: 2 }), 'ROLLBACK');
    const after = await tx((c) => outbox.publish(c, Item, { n: 3 }));
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(2);
    const first = received[0]!.envelope;
    expect(first).toMatchObject({ id, type: 'relay.item', topic: 'items', key: 'k-1', headers: { tenant: 'acme', 'x-unicode': 'ünï ✓', 'ferry-content-type': 'application/json' } });
    expect(first.timestamp).toBeGreaterThanOrEqual(before);
    expect(received.map((r) => r.envelope.id)).toEqual([id, after]);
    await sleep(300);
    expect(received.map((r) => r.envelope.id)).not.toContain(rolledBack);
  });

  it('skips no row: one whose transaction commits after later rows were sent is sent too (the gap)', async () => {
    const { outbox, received, start } = await setup();
    await start();
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      const early = await outbox.publish(slow, Item, { n: 1 }); // the smaller seq, still uncommitted
      const later = await tx((c) => outbox.publish(c, Item, { n: 2 }));
      await expect.poll(() => received.map((r) => r.envelope.id), { timeout: 5_000 }).toEqual([later]);
      await slow.query('COMMIT');
      await expect.poll(() => received.map((r) => r.envelope.id), { timeout: 5_000 }).toEqual([later, early]);
    } finally {
      slow.release();
    }
  });

  it('honours the delay from publish time: a row that waited sends only what is left of its delay', async () => {
    const { outbox, received, start } = await setup();
    const published = Date.now();
    await tx((c) => outbox.publish(c, Item, { n: 1 }, { delayMs: 1_500 }));
    await sleep(1_000); // the relay is not running yet: the row waits
    await start();
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1);
    const waited = received[0]!.at - published;
    expect(waited).toBeGreaterThanOrEqual(1_400);
    expect(waited).toBeLessThan(2_300); // not 1,000 + 1,500
  });
});

describe('outbox relay: order', () => {
  /**
   * Each writer transaction publishes a message of its key, waits a little, then bumps the key's
   * counter (a row lock held to commit: the counter's values are the key's commit order) and
   * records it against the message id. The consumer must see each key's messages in counter order.
   */
  async function commitOrderRun(outbox: PostgresOutbox, keys: number, writers: number, perWriter: number): Promise<Map<string, number>> {
    const name = `witness_${randomUUID().slice(0, 8)}`;
    const witness = `"${schema}"."${name}"`;
    const counters = `"${schema}"."${name}_keys"`;
    await pool.query(`CREATE TABLE ${counters} (key text PRIMARY KEY, n int NOT NULL)`);
    await pool.query(`CREATE TABLE ${witness} (id text PRIMARY KEY, n int NOT NULL)`);
    await pool.query(`INSERT INTO ${counters} SELECT 'key-' || k, 0 FROM generate_series(0, ${keys - 1}) AS k`);
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const key = `key-${(w + i) % keys}`;
          await tx(async (c) => {
            const id = await outbox.publish(c, Item, { n: i, writer: w }, { key });
            await sleep(Math.random() * 4);
            const { rows } = await c.query<{ n: number }>(`UPDATE ${counters} SET n = n + 1 WHERE key = $1 RETURNING n`, [key]);
            await c.query(`INSERT INTO ${witness} (id, n) VALUES ($1, $2)`, [id, rows[0]!.n]);
          });
        }
      }),
    );
    const { rows } = await pool.query<{ id: string; n: number }>(`SELECT id, n FROM ${witness}`);
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Keys whose messages arrived out of commit order. */
  function outOfOrder(received: readonly Received[], commitRank: Map<string, number>): string[] {
    const last = new Map<string, number>();
    const bad = new Set<string>();
    for (const r of received) {
      const key = r.envelope.key!;
      const rank = commitRank.get(r.envelope.id)!;
      if ((last.get(key) ?? 0) >= rank) bad.add(key);
      last.set(key, rank);
    }
    return [...bad];
  }

  it('per key, the broker gets the rows in commit order (12 concurrent writers, 6 keys, two relays)', async () => {
    const { outbox, received, start } = await setup();
    await Promise.all([start({ batchSize: 20 }), start({ batchSize: 20 })]);
    const rank = await commitOrderRun(outbox, 6, 12, 30);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(rank.size);
    expect(tally(received, [...rank.keys()])).toEqual({ lost: 0, duplicated: 0 });
    expect(outOfOrder(received, rank)).toEqual([]);
  });

  it('what the key lock is for: two transactions insert a key in one order and commit in the other', async () => {
    // Without the lock (orderedByKey: false) both rows are numbered at insert, a before b; b commits
    // first; a relay that finds both sends them by number: a, b — not the commit order b, a.
    const unordered = await setup({ orderedByKey: false });
    const first = await pool.connect();
    let a: string;
    let b: string;
    try {
      await first.query('BEGIN');
      a = await unordered.outbox.publish(first, Item, { n: 1 }, { key: 'k' });
      b = await tx((c) => unordered.outbox.publish(c, Item, { n: 2 }, { key: 'k' }));
      await first.query('COMMIT');
    } finally {
      first.release();
    }
    await unordered.start();
    await expect.poll(() => unordered.received.map((r) => r.envelope.id), { timeout: 5_000 }).toEqual([a, b]);

    // With the lock, b's publish waits for a's transaction: b cannot commit first, the rows are
    // numbered in commit order, and the relay sends a, b — the commit order.
    const ordered = await setup();
    const holder = await pool.connect();
    const events: string[] = [];
    try {
      await holder.query('BEGIN');
      a = await ordered.outbox.publish(holder, Item, { n: 1 }, { key: 'k' });
      const second = tx((c) => ordered.outbox.publish(c, Item, { n: 2 }, { key: 'k' })).then((id) => (events.push('b committed'), id));
      await sleep(200);
      events.push('a commits');
      await holder.query('COMMIT');
      b = await second;
    } finally {
      holder.release();
    }
    expect(events).toEqual(['a commits', 'b committed']);
    await ordered.start();
    await expect.poll(() => ordered.received.map((r) => r.envelope.id), { timeout: 5_000 }).toEqual([a, b]);
  });
});

describe('outbox relay: several relays', () => {
  it('two relays share the slots and publish each row once; when one stops, the other takes every slot', async () => {
    const { outbox, received, start } = await setup();
    const [a, b] = await Promise.all([start({ batchSize: 50 }), start({ batchSize: 50 })]);
    await expect.poll(() => [a.stats().slots, b.stats().slots], { timeout: 5_000 }).toEqual([32, 32]);
    const ids = (await Promise.all(Array.from({ length: 8 }, () => publishMany(outbox, 250, (n) => `k-${n % 40}`)))).flat();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(ids.length);
    // A relay counts a batch as sent once its rows are marked, just after the transport took them.
    await expect.poll(() => a.stats().sent + b.stats().sent, { timeout: 5_000 }).toBe(ids.length);
    expect(a.stats().sent).toBeGreaterThan(0);
    expect(b.stats().sent).toBeGreaterThan(0);
    await a.stop();
    await expect.poll(() => b.stats().slots, { timeout: 5_000 }).toBe(64);
    const more = await publishMany(outbox, 500, (n) => `k-${n % 40}`);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(ids.length + more.length);
    expect(tally(received, [...ids, ...more])).toEqual({ lost: 0, duplicated: 0 });
    await expect.poll(() => outbox.status(), { timeout: 5_000 }).toMatchObject({ pending: 0, relays: 1, slotsHeld: 64 });
  });
});

describe('outbox relay: faults', () => {
  it('broker down: rows wait in the table, one batch in memory, and all go once it is back', async () => {
    let down = true;
    let attempts = 0;
    const outage: PublishMiddleware = (next) => (messages) => {
      attempts++;
      return down ? Promise.reject(new Error('broker unreachable (simulated outage)')) : next(messages);
    };
    const { outbox, received, start } = await setup({}, { middleware: { publish: [outage] } });
    const relay = await start({ batchSize: 50 });
    const ids = await publishMany(outbox, 500);
    await expect.poll(() => attempts, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(received).toEqual([]);
    expect(relay.stats()).toMatchObject({ sent: 0, maxRowsInMemory: 50 });
    expect((await outbox.status()).pending).toBe(500);
    down = false;
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(500);
    expect(tally(received, ids)).toEqual({ lost: 0, duplicated: 0 });
    expect(relay.stats().maxRowsInMemory).toBe(50);
  });

  it('a message the transport can never carry is marked failed and kept; the rest of its key goes on', async () => {
    const { outbox, table, received, start } = await setup({}, {}, { maxMessageBytes: 2_048 });
    const relay = await start();
    const big = await tx((c) => outbox.publish(c, Item, { n: 1, writer: Number('9'.repeat(15)) }, { key: 'k', headers: { pad: 'x'.repeat(3_000) } }));
    const small = await tx((c) => outbox.publish(c, Item, { n: 2 }, { key: 'k' }));
    await expect.poll(() => received.map((r) => r.envelope.id), { timeout: 5_000 }).toEqual([small]);
    const { rows } = await pool.query<{ failed_at: Date | null; error: string | null }>(`SELECT failed_at, error FROM ${table} WHERE id = $1`, [big]);
    expect(rows[0]!.failed_at).not.toBeNull();
    expect(rows[0]!.error).toMatch(/exceeds the memory transport's limit of 2048 bytes/);
    expect(relay.stats().failed).toBe(1);
    // The small one is marked sent just after the transport took it.
    await expect.poll(() => outbox.status(), { timeout: 5_000 }).toMatchObject({ failed: 1, pending: 0 });
  });

  it('a refusal only the send reveals: the batch is halved until the message stands alone, then it is marked failed', async () => {
    const refuse: PublishMiddleware = (next) => (messages) =>
      messages.some((m) => JSON.parse(Buffer.from(m.payload).toString('utf8')).n === 13) ? Promise.reject(new NonRetryableError('downstream refuses 13')) : next(messages);
    const { outbox, received, start } = await setup({}, { middleware: { publish: [refuse] } });
    const relay = await start({ batchSize: 32 });
    const ids = await publishMany(outbox, 40, () => 'one-key');
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(39);
    expect(received.map((r) => r.n)).toEqual(Array.from({ length: 40 }, (_, n) => n).filter((n) => n !== 13));
    expect(relay.stats().failed).toBe(1);
    expect(tally(received, ids.filter((_, n) => n !== 13))).toEqual({ lost: 0, duplicated: 0 });
  });

  it('its connection killed: the relay reconnects, takes its slots again, and loses nothing', async () => {
    const { outbox, received, start, ids: lockIds } = await setup();
    const relay = await start();
    const first = await publishMany(outbox, 100);
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(100);
    const { rows } = await pool.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = $1", [lockIds.memberClass]);
    expect(rows).toHaveLength(1);
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const second = await publishMany(outbox, 100);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(200);
    expect(tally(received, [...first, ...second])).toEqual({ lost: 0, duplicated: 0 });
    expect(relay.stats().databaseFailures).toBeGreaterThanOrEqual(1);
    await expect.poll(() => relay.stats().slots, { timeout: 5_000 }).toBe(64);
  });

  it('stop is graceful: the batch in flight is sent and marked, then the locks and the connection are released', async () => {
    let inFlight = 0;
    const slow: PublishMiddleware = (next) => async (messages) => {
      inFlight++;
      await sleep(300);
      await next(messages);
    };
    const { outbox, received, start } = await setup({}, { middleware: { publish: [slow] } });
    const relay = await start({ batchSize: 100 });
    await publishMany(outbox, 100);
    await expect.poll(() => inFlight, { timeout: 5_000 }).toBe(1);
    await relay.stop();
    expect(relay.stats()).toMatchObject({ sent: 100, running: false, slots: 0 });
    expect(await outbox.status()).toMatchObject({ pending: 0, sent: 100, relays: 0, slotsHeld: 0 });
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(100);
  });

  it('startRelay with no table says which and how to create it; with PostgreSQL unreachable, where (password hidden)', async () => {
    const client = await createClient(new MemoryTransport({ broker: `relay-${randomUUID()}` }));
    cleanups.push(() => client.close());
    const missing = postgresOutbox({ pool, schema: `ferry_missing_${randomUUID().slice(0, 8)}` });
    await expect(missing.startRelay(client)).rejects.toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/"ferry_outbox" does not exist.*ferry outbox migrate <postgres-url> --schema ferry_missing_/) });
    const down = postgresOutbox({ connectionString: 'postgres://app:s3cr3t@127.0.0.1:1/db', connectTimeoutMs: 1_000 });
    cleanups.push(() => down.close());
    const error = (await down.startRelay(client).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/db.*ECONNREFUSED/) });
    expect(error.message).not.toContain('s3cr3t');
    await expect(missing.startRelay(client, { batchSize: 0 })).rejects.toMatchObject({ code: 'FERRY_CONFIG', message: expect.stringMatching(/relay\.batchSize/) });
  });

  it('util.inspect and JSON of a running relay show where it works, never the password', async () => {
    await migrated;
    const url = new URL(POSTGRES_URL);
    url.password = 's3cr3t'; // trust authentication ignores it; the relay must not show it
    const outbox = postgresOutbox({ connectionString: url.toString(), schema });
    const client = await createClient(new MemoryTransport({ broker: `relay-${randomUUID()}` }));
    cleanups.push(() => client.close(), () => outbox.close());
    const relay = await outbox.startRelay(client);
    expect(inspect(relay, { depth: 10, showHidden: true })).not.toContain('s3cr3t');
    expect(inspect(relay)).toMatch(/OutboxRelay \{ table: "ferry_test_\w+"\."ferry_outbox", address: postgres:\/\/postgres:\*\*\*@.*transport: memory/);
    expect(JSON.stringify(relay)).not.toContain('s3cr3t');
  });
});

describe('outbox relay: waking and retention', () => {
  it('an idle relay is woken by the commit (NOTIFY), not by its poll; without NOTIFY it waits for the poll', async () => {
    // An idle relay looks again after 5, 10, 20 ... ms: 1.5 s after it started it is in a wait of
    // about 1.3 s (1,275 to 2,555 ms), which only a notification cuts short.
    const latency = async (outboxOptions: Partial<PostgresOutboxOptions>) => {
      const { outbox, received, start } = await setup(outboxOptions);
      await start({ pollIntervalMs: 10_000, rebalanceIntervalMs: 60_000 });
      await sleep(1_500);
      const t0 = Date.now();
      await tx((c) => outbox.publish(c, Item, { n: 1 }));
      await expect.poll(() => received.length, { timeout: 5_000, interval: 5 }).toBe(1);
      return received[0]!.at - t0;
    };
    expect(await latency({})).toBeLessThan(300);
    expect(await latency({ notify: false })).toBeGreaterThan(600);
  });

  it('sent rows are kept for retentionMs then deleted; with retentionMs 0 they go as they are sent', async () => {
    const kept = await setup();
    await kept.start({ retentionMs: 300, pruneIntervalMs: 100 });
    await publishMany(kept.outbox, 20);
    await expect.poll(() => kept.received.length, { timeout: 5_000 }).toBe(20);
    expect((await kept.outbox.status()).sent).toBe(20);
    await expect.poll(async () => (await kept.outbox.status()).sent, { timeout: 5_000 }).toBe(0);

    const gone = await setup();
    await gone.start({ retentionMs: 0 });
    await publishMany(gone.outbox, 20);
    await expect.poll(() => gone.received.length, { timeout: 5_000 }).toBe(20);
    await expect.poll(async () => (await pool.query(`SELECT count(*)::int AS n FROM ${gone.table}`)).rows[0].n, { timeout: 2_000 }).toBe(0);
  });
});
