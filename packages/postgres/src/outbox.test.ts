// outbox.publish against the real PostgreSQL: the row exists exactly when the caller's
// transaction commits, carries the whole envelope, is validated like producer.publish, and a key's
// rows are numbered in commit order (the key's lock). The relay's tests are in relay.test.ts.
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { createClient, defineMessage, MessageTooLargeError, SchemaError } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate } from './migrate.ts';
import { postgresOutbox } from './outbox.ts';
import { outboxIds } from './outbox-sql.ts';
import { inTransaction as inTransactionOf, POSTGRES_URL, testSchema } from './test-support.ts';

const { schema, pool, migrated } = testSchema();
const Placed = defineMessage('order.placed', z.object({ orderId: z.string(), total: z.number().nonnegative() }), { topic: 'orders' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StoredRow {
  seq: string;
  id: string;
  topic: string;
  type: string;
  key: string | null;
  headers: Record<string, string>;
  payload: Buffer;
  published_ms: string;
  delay_ms: string | null;
  priority: number | null;
}

async function rows(where = 'true', params: unknown[] = []): Promise<StoredRow[]> {
  return (await pool.query<StoredRow>(`SELECT * FROM "${schema}".ferry_outbox WHERE ${where} ORDER BY seq`, params)).rows;
}

const inTransaction = <T>(work: (tx: pg.PoolClient) => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<T> => inTransactionOf(pool, work, end);

describe('outbox.publish', () => {
  it('committed: one row with the whole envelope; rolled back: nothing', async () => {
    await migrated;
    const outbox = postgresOutbox({ schema });
    const before = Date.now();
    const id = await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'o-1', total: 42 }, { key: 'customer-7', headers: { tenant: 'acme' }, delayMs: 1_500, priority: 4 }));
    const gone = await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'o-2', total: 1 }), 'ROLLBACK');
    expect(await rows('id = $1', [gone])).toEqual([]);
    const [row] = await rows('id = $1', [id]);
    expect(row).toMatchObject({ id, topic: 'orders', type: 'order.placed', key: 'customer-7', headers: { tenant: 'acme', 'ferry-content-type': 'application/json' }, delay_ms: '1500', priority: 4 });
    expect(JSON.parse(row!.payload.toString('utf8'))).toEqual({ orderId: 'o-1', total: 42 });
    expect(Number(row!.published_ms)).toBeGreaterThanOrEqual(before);
    expect(Number(row!.published_ms)).toBeLessThanOrEqual(Date.now());
  });

  it('validates like producer.publish: a payload failing its schema or a reserved header is refused before anything is written', async () => {
    await migrated;
    const outbox = postgresOutbox({ schema });
    const orderId = randomUUID();
    await inTransaction(async (tx) => {
      await expect(outbox.publish(tx, Placed, { orderId, total: -1 })).rejects.toBeInstanceOf(SchemaError);
      await expect(outbox.publish(tx, Placed, { orderId, total: 1 }, { headers: { 'ferry-attempt': '2' } })).rejects.toMatchObject({ code: 'FERRY_CONFIG' });
      // The transaction is still usable: nothing was sent to PostgreSQL.
      await outbox.publish(tx, Placed, { orderId, total: 1 }, { id: `ok-${orderId}` });
    });
    expect((await rows("convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", [orderId])).map((r) => r.id)).toEqual([`ok-${orderId}`]);
  });

  it('checkAgainst a client: a message its transport could never carry is refused in the transaction', async () => {
    await migrated;
    const client = await createClient(new MemoryTransport({ broker: `outbox-${randomUUID()}`, maxMessageBytes: 2_048 }));
    const outbox = postgresOutbox({ schema, checkAgainst: client });
    const error = await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'x'.repeat(4_000), total: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    await client.close();
  });

  it('publishBatch numbers the rows in the order given', async () => {
    await migrated;
    const outbox = postgresOutbox({ schema });
    const ids = await inTransaction((tx) => outbox.publishBatch(tx, Array.from({ length: 50 }, (_, n) => ({ message: Placed, payload: { orderId: `b-${n}`, total: n }, options: { key: `k-${n % 3}` } }))));
    const stored = await rows('id = ANY($1)', [ids]);
    expect(stored.map((r) => r.id)).toEqual(ids);
    expect(await inTransaction((tx) => outbox.publishBatch(tx, []))).toEqual([]);
  });

  it("a key's rows are numbered in commit order: a second transaction publishing the key waits for the first to end", async () => {
    await migrated;
    const outbox = postgresOutbox({ schema });
    const key = `k-${randomUUID()}`;
    const first = await pool.connect();
    const second = await pool.connect();
    const other = await pool.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      await other.query('BEGIN');
      const a = await outbox.publish(first, Placed, { orderId: 'a', total: 1 }, { key });
      let bDone = false;
      const b = outbox.publish(second, Placed, { orderId: 'b', total: 2 }, { key }).then((id) => ((bDone = true), id));
      // Another key does not wait.
      await outbox.publish(other, Placed, { orderId: 'c', total: 3 }, { key: `${key}-other` });
      await other.query('COMMIT');
      await sleep(300);
      expect(bDone).toBe(false);
      await first.query('COMMIT');
      const bId = await b;
      await second.query('COMMIT');
      const stored = await rows('key = $1', [key]);
      expect(stored.map((r) => r.id)).toEqual([a, bId]);
    } finally {
      for (const c of [first, second, other]) c.release();
    }
  });

  it('notifies the relays at commit only when it finds nothing unsent (busy relays need no wake-up), and never on rollback', async () => {
    await migrated;
    const table = `outbox_${randomUUID().slice(0, 8)}`;
    await migrate(pool, { schema, outboxTable: table });
    const outbox = postgresOutbox({ schema, table });
    const listener = await pool.connect();
    const heard: number[] = [];
    listener.on('notification', () => heard.push(Date.now()));
    try {
      await listener.query(`LISTEN ${outboxIds(outbox.table).channel}`);
      await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'a', total: 1 }), 'ROLLBACK');
      await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'b', total: 1 })); // the outbox was empty: notifies
      await inTransaction((tx) => outbox.publish(tx, Placed, { orderId: 'c', total: 1 })); // b is still unsent: no notification
      await sleep(200);
      expect(heard).toHaveLength(1);
    } finally {
      await listener.query('UNLISTEN *');
      listener.removeAllListeners('notification');
      listener.release();
    }
  });

  it('orderedByKey: false takes no lock; a missing table names itself and the command that creates it', async () => {
    await migrated;
    const unordered = postgresOutbox({ schema, orderedByKey: false });
    const key = `k-${randomUUID()}`;
    const first = await pool.connect();
    try {
      await first.query('BEGIN');
      await unordered.publish(first, Placed, { orderId: 'a', total: 1 }, { key });
      await unordered.publish(pool, Placed, { orderId: 'b', total: 1 }, { key }); // autocommitted, not blocked
      await first.query('COMMIT');
    } finally {
      first.release();
    }
    const missing = postgresOutbox({ schema: `ferry_missing_${randomUUID().slice(0, 8)}` });
    await expect(missing.publish(pool, Placed, { orderId: 'a', total: 1 })).rejects.toMatchObject({
      code: 'FERRY_STORE',
      message: expect.stringMatching(/"ferry_missing_\w+"\."ferry_outbox" does not exist.*migrate\(pool, \{ schema: "ferry_missing_\w+" \}\).*ferry outbox migrate <postgres-url> --schema ferry_missing_\w+/),
    });
  });

  it('shows its address without the password; status and startRelay without a connection are clear errors', async () => {
    const outbox = postgresOutbox({ connectionString: 'postgres://app:s3cr3t@db:5432/orders', schema });
    expect(inspect(outbox, { depth: 10, showHidden: true })).not.toContain('s3cr3t');
    expect(inspect(outbox)).toContain('postgres://app:***@db:5432/orders');
    expect(JSON.stringify(outbox)).not.toContain('s3cr3t');
    await outbox.close();
    const detached = postgresOutbox({ schema });
    await expect(detached.status()).rejects.toThrow(/status\(\) needs a database connection.*\{ pool \}/);
    expect(POSTGRES_URL).toMatch(/^postgres/);
  });
});
