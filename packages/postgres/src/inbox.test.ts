// The inbox on the memory transport against the real PostgreSQL: the handler's writes and the
// message key commit together, duplicates and twins have one effect, failures leave nothing.
// The SIGKILL proof on the brokers is in integration/exactly-once/.
import { randomUUID } from 'node:crypto';
import { createClient, defineMessage, NonRetryableError, type Client, type ConsumerOptions } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresInbox, type PostgresInboxOptions } from './inbox.ts';
import { testSchema } from './test-support.ts';

const { schema, pool, migrated } = testSchema();
const Job = defineMessage('job', z.object({ n: z.number() }), { topic: 'jobs' });
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 1_000 })));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A consumer on its own memory broker whose handler's effect is a row in `effects`. */
async function setup(inboxOptions: Partial<PostgresInboxOptions> = {}, consumerOptions: Partial<ConsumerOptions> = {}, handler?: (n: number, effect: () => Promise<void>, tx: pg.PoolClient) => Promise<void>) {
  await migrated;
  const effects = `"${schema}".effects_${randomUUID().slice(0, 8)}`;
  await pool.query(`CREATE TABLE ${effects} (id text NOT NULL, n int NOT NULL)`);
  const inbox = postgresInbox({ pool, schema, pruneIntervalMs: 0, ...inboxOptions });
  const client = await createClient(new MemoryTransport({ broker: `inbox-${randomUUID()}` }));
  clients.push(client);
  const dead: string[] = [];
  const events: string[] = [];
  await client
    .consumer({
      group: 'g',
      delivery: 'exactly-once',
      idempotency: inbox,
      concurrency: 8,
      retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 },
      hooks: { onDeadLetter: (ctx) => void dead.push(ctx.envelope.id), onDuplicate: () => void events.push('duplicate'), onRetry: (_c, e) => void events.push(`retry: ${(e as Error).message}`) },
      ...consumerOptions,
    })
    .handle(Job, async (job, ctx) => {
      const effect = async () => void (await inbox.tx(ctx).query(`INSERT INTO ${effects} (id, n) VALUES ($1, $2)`, [ctx.envelope.id, job.n]));
      if (handler) await handler(job.n, effect, inbox.tx(ctx));
      else await effect();
    })
    .start();
  const rows = async () => (await pool.query<{ id: string; n: number }>(`SELECT id, n FROM ${effects} ORDER BY n`)).rows;
  return { inbox, client, producer: client.producer(), rows, dead, events };
}

describe('postgresInbox', () => {
  it('commits the effect with the key: the same id published three times has one effect, the copies are duplicates', async () => {
    const { producer, rows, events } = await setup();
    const id = randomUUID();
    for (let i = 0; i < 3; i++) await producer.publish(Job, { n: 1 }, { id });
    await producer.publish(Job, { n: 2 });
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(2);
    await expect.poll(() => events.filter((e) => e === 'duplicate').length, { timeout: 5_000 }).toBe(2);
    expect((await rows()).filter((r) => r.id === id)).toHaveLength(1);
    const { rows: keys } = await pool.query(`SELECT key FROM "${schema}".ferry_inbox WHERE key = $1`, [`g:${id}`]);
    expect(keys).toHaveLength(1);
  });

  it('two copies at once: the second waits on the row lock, then finds the key committed', async () => {
    let running = 0;
    let overlapped = false;
    const { producer, rows, events } = await setup({}, {}, async (_n, effect) => {
      running++;
      if (running > 1) overlapped = true;
      await effect();
      await sleep(200);
      running--;
    });
    const id = randomUUID();
    await Promise.all([producer.publish(Job, { n: 1 }, { id }), producer.publish(Job, { n: 1 }, { id })]);
    await expect.poll(() => events.includes('duplicate'), { timeout: 5_000 }).toBe(true);
    expect(await rows()).toEqual([{ id, n: 1 }]);
    expect(overlapped).toBe(false);
  });

  it('a handler that fails after writing leaves nothing: rolled back, retried, one effect', async () => {
    let attempts = 0;
    const { producer, rows } = await setup({}, {}, async (_n, effect) => {
      attempts++;
      await effect();
      if (attempts < 3) throw new Error('fails after its write');
    });
    const id = await producer.publish(Job, { n: 7 });
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(1);
    await sleep(100);
    expect(attempts).toBe(3);
    expect(await rows()).toEqual([{ id, n: 7 }]);
    const { rows: counts } = await pool.query(`SELECT * FROM "${schema}".ferry_inbox_claims WHERE key = $1`, [`g:${id}`]);
    expect(counts).toEqual([]);
  });

  it('a handler that swallows a failed statement does not commit half a transaction: nothing is kept and it is retried', async () => {
    let attempts = 0;
    const { producer, rows, events } = await setup({}, {}, async (_n, effect, tx) => {
      attempts++;
      await effect();
      if (attempts === 1) await tx.query('SELECT 1 / 0').catch(() => undefined); // aborts the transaction; the handler carries on
    });
    const id = await producer.publish(Job, { n: 5 });
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(1);
    expect(attempts).toBe(2);
    expect(await rows()).toEqual([{ id, n: 5 }]);
    expect(events.some((e) => /rolled back instead of committed/.test(e))).toBe(true);
  });

  it('a message claimed more than maxClaims times by attempts that never ended is dead-lettered (kind crash-loop)', async () => {
    const { producer, rows, dead } = await setup({ maxClaims: 2 });
    const id = randomUUID();
    // Two earlier attempts whose processes died mid-handler: their transactions rolled back, their counts stayed.
    await pool.query(`INSERT INTO "${schema}".ferry_inbox_claims (key, claims) VALUES ($1, 2)`, [`g:${id}`]);
    await producer.publish(Job, { n: 1 }, { id });
    await expect.poll(() => dead, { timeout: 5_000 }).toEqual([id]);
    expect(await rows()).toEqual([]);
  });

  it('a connection lost mid-handler: the attempt fails and leaves nothing, the message is retried and has one effect', async () => {
    let attempts = 0;
    const { producer, rows } = await setup({}, {}, async (_n, effect, tx) => {
      attempts++;
      await effect();
      if (attempts === 1) {
        const { rows: [me] } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await pool.query('SELECT pg_terminate_backend($1)', [me!.pid]);
        await tx.query('SELECT 1'); // fails: the connection is gone
      }
    });
    const id = await producer.publish(Job, { n: 6 });
    await expect.poll(async () => (await rows()).length, { timeout: 5_000 }).toBe(1);
    await sleep(100);
    expect(attempts).toBe(2);
    expect(await rows()).toEqual([{ id, n: 6 }]);
  });

  it('tx(ctx) outside the inbox step is a clear error; a message without an id is refused with kind no-id', async () => {
    const { inbox } = await setup();
    expect(() => inbox.tx({ envelope: { id: 'x' } } as never)).toThrow(/outside the inbox's transaction.*idempotency: inbox/);
    const handler = inbox.middleware({ group: 'g' })(async () => undefined);
    const error = await handler({ envelope: { id: '', type: 't', topic: 'x' } } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ kind: 'no-id' });
  });

  it('a handler slower than handlerTimeoutMs has one effect: its retry waits on the row lock, then finds it done', async () => {
    let attempts = 0;
    const { producer, rows, events } = await setup({ lockTimeoutMs: 2_000 }, { handlerTimeoutMs: 100 }, async (_n, effect) => {
      attempts++;
      await sleep(300);
      await effect();
    });
    const id = await producer.publish(Job, { n: 3 });
    await expect.poll(() => events.includes('duplicate'), { timeout: 5_000 }).toBe(true);
    expect(await rows()).toEqual([{ id, n: 3 }]);
    expect(attempts).toBe(1);
  });

  it('a twin running longer than lockTimeoutMs makes the copy retry (not fail), and the copy then finds it done', { timeout: 20_000 }, async () => {
    // Attempts enough to outlast the twin on a loaded machine: with the suite's 5, the copy's
    // retries (each a 50 ms lock wait and up to 50 ms backoff) could run out before the twin's
    // 300 ms ended, and the copy was dead-lettered instead of found done.
    const retry = { attempts: 40, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 };
    const { producer, rows, events, dead } = await setup({ lockTimeoutMs: 50 }, { retry }, async (_n, effect) => {
      await effect();
      await sleep(300);
    });
    const id = randomUUID();
    await Promise.all([producer.publish(Job, { n: 4 }, { id }), producer.publish(Job, { n: 4 }, { id })]);
    await expect.poll(() => events.includes('duplicate') || dead.length > 0, { timeout: 15_000 }).toBe(true);
    expect(dead).toEqual([]);
    expect(events.some((e) => /still being handled by another attempt/.test(e))).toBe(true);
    expect(await rows()).toEqual([{ id, n: 4 }]);
    const { rows: counts } = await pool.query(`SELECT * FROM "${schema}".ferry_inbox_claims WHERE key = $1`, [`g:${id}`]);
    expect(counts).toEqual([]);
  });
});
