/**
 * The PostgreSQL outbox against a plain publish after the same insert, on RabbitMQ, in one run.
 *
 *   pnpm exec tsx integration/bench/outbox.ts [messages=5000] [writers=32] [rounds=5] [idle=100]
 *
 * Every message is an order row written in its own transaction; the variants differ in how the
 * message leaves:
 *   plain:   BEGIN; INSERT order; COMMIT; then producer.publish (awaits the broker's confirm)
 *   outbox:  BEGIN; INSERT order; outbox.publish(tx); COMMIT; a relay in this process sends it
 *   outbox without NOTIFY: the same, the relay finding rows by polling alone (every 100 ms at most)
 * Figures, per variant:
 *   throughput: `messages` orders written by `writers` concurrent writers; orders committed per
 *     second (the writers' side) and messages arrived per second at a consumer (end to end);
 *   commit-to-broker latency: from COMMIT returning to the message reaching a consumer on the broker
 *     (so both variants count the same broker-to-consumer leg), p50/p99, under that load and idle
 *     (`idle` orders one at a time, each waiting for its message).
 * Rounds alternate the variants' order; medians over rounds, then each round's figure.
 * Uses FERRY_AMQP_URL and FERRY_POSTGRES_URL, or the local defaults.
 */
import { randomBytes } from 'node:crypto';
import { createClient, defineMessage, type Producer } from '@ferry/core';
import { migrate, postgresOutbox, type OutboxRelay, type PostgresOutbox } from '@ferry/postgres';
import pg from 'pg';
import { z } from 'zod';
import { median } from './median.ts';

const amqpUrl = process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const postgresUrl = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const count = Number(process.argv[2] ?? 5_000);
const writers = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 5);
const idleCount = Number(process.argv[5] ?? 100);

const run = randomBytes(4).toString('hex');
const schema = `ferry_bench_outbox_${run}`;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  committedPerS: number;
  arrivedPerS: number;
  loadP50: number;
  loadP99: number;
  idleP50: number;
  idleP99: number;
}

interface Variant {
  readonly name: string;
  readonly topic: string;
  /** Writes one order and its message; resolves when COMMIT has returned (plain: and the publish confirmed). */
  readonly write: (tx: pg.PoolClient, id: string, n: number) => Promise<void>;
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: writers + 8 });
  await migrate(pool, { schema });
  await migrate(pool, { schema, outboxTable: 'ferry_outbox_polled' });
  await pool.query(`CREATE TABLE "${schema}".orders (id text PRIMARY KEY, n integer NOT NULL)`);
  const client = await createClient(amqpUrl);
  const producer: Producer = client.producer();
  const notified = postgresOutbox({ pool, schema });
  const polled = postgresOutbox({ pool, schema, table: 'ferry_outbox_polled', notify: false });
  const relays: OutboxRelay[] = [await notified.startRelay(client), await polled.startRelay(client, { pollIntervalMs: 100 })];

  const order = (tx: pg.PoolClient, id: string, n: number) => tx.query(`INSERT INTO "${schema}".orders (id, n) VALUES ($1, $2)`, [id, n]);
  const inTransaction = async (tx: pg.PoolClient, work: () => Promise<unknown>) => {
    await tx.query('BEGIN');
    await work();
    await tx.query('COMMIT');
  };
  const viaOutbox = (outbox: PostgresOutbox, Message: ReturnType<typeof defineMessage>) => async (tx: pg.PoolClient, id: string, n: number) => {
    await inTransaction(tx, async () => {
      await order(tx, id, n);
      await outbox.publish(tx, Message, { n }, { id });
    });
    committed.set(id, performance.now());
  };
  const committed = new Map<string, number>();
  const arrived = new Map<string, number>();
  const variants: Variant[] = [];
  const message = (name: string) => defineMessage('bench.order', z.object({ n: z.number() }), { topic: `bench-outbox-${run}-${name}` });
  const Plain = message('plain');
  variants.push({
    name: 'plain: insert, commit, producer.publish',
    topic: Plain.topic,
    write: async (tx, id, n) => {
      await inTransaction(tx, () => order(tx, id, n));
      committed.set(id, performance.now());
      await producer.publish(Plain, { n }, { id });
    },
  });
  const Outboxed = message('outbox');
  variants.push({ name: 'outbox: insert + outbox.publish, commit; relay', topic: Outboxed.topic, write: viaOutbox(notified, Outboxed) });
  const Polled = message('polled');
  variants.push({ name: 'outbox without NOTIFY (relay polls, 100 ms at most)', topic: Polled.topic, write: viaOutbox(polled, Polled) });

  // Who waits for which ids to arrive (one waiter at a time: the variants run one after another).
  let waiting: { ids: Set<string>; done: () => void } | undefined;
  // One consumer per variant's topic, started before anything is sent (RabbitMQ drops unrouted messages).
  for (const Message of [Plain, Outboxed, Polled]) {
    await client
      .consumer({ group: 'bench', concurrency: 64 })
      .handle(Message, async (_p, ctx) => {
        arrived.set(ctx.envelope.id, performance.now());
        if (waiting?.ids.delete(ctx.envelope.id) && waiting.ids.size === 0) waiting.done();
      })
      .start();
  }
  const waitArrived = (ids: readonly string[]): Promise<void> => {
    const pending = new Set(ids.filter((id) => !arrived.has(id)));
    if (pending.size === 0) return Promise.resolve();
    return new Promise<void>((done) => (waiting = { ids: pending, done }));
  };

  let serial = 0;
  const throughput = async (variant: Variant): Promise<Pick<Figures, 'committedPerS' | 'arrivedPerS' | 'loadP50' | 'loadP99'>> => {
    const ids = Array.from({ length: count }, () => `${run}-${serial++}`);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        const tx = await pool.connect();
        try {
          while (next < ids.length) {
            const i = next++;
            await variant.write(tx, ids[i]!, i);
          }
        } finally {
          tx.release();
        }
      }),
    );
    const written = performance.now();
    await waitArrived(ids);
    const done = Math.max(...ids.map((id) => arrived.get(id)!));
    const latencies = ids.map((id) => arrived.get(id)! - committed.get(id)!);
    return {
      committedPerS: Math.round((count / (written - t0)) * 1000),
      arrivedPerS: Math.round((count / (done - t0)) * 1000),
      loadP50: percentile(latencies, 50),
      loadP99: percentile(latencies, 99),
    };
  };
  const idle = async (variant: Variant): Promise<Pick<Figures, 'idleP50' | 'idleP99'>> => {
    const latencies: number[] = [];
    const tx = await pool.connect();
    try {
      for (let i = 0; i < idleCount; i++) {
        const id = `${run}-${serial++}`;
        // A pause of 20-200 ms: the relay has gone idle (it looks again after 5, 10, 20 ... ms, up
        // to its poll interval) when the next order commits.
        await sleep(20 + Math.random() * 180);
        await variant.write(tx, id, i);
        await waitArrived([id]);
        latencies.push(arrived.get(id)! - committed.get(id)!);
      }
    } finally {
      tx.release();
    }
    return { idleP50: percentile(latencies, 50), idleP99: percentile(latencies, 99) };
  };

  const results = new Map(variants.map((v) => [v, [] as Figures[]]));
  for (let round = 0; round < rounds; round++) {
    const ordered = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of ordered) {
      results.get(variant)!.push({ ...(await throughput(variant)), ...(await idle(variant)) });
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }

  for (const relay of relays) await relay.stop();
  await client.close();
  const amqp = await import('amqplib');
  const connection = await amqp.connect(amqpUrl);
  const admin = await connection.createChannel();
  for (const Message of [Plain, Outboxed, Polled]) {
    await admin.deleteQueue(`${Message.topic}.bench`).catch(() => undefined);
    await admin.deleteExchange(Message.topic).catch(() => undefined);
  }
  await connection.close();
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();

  const ms = (v: number) => v.toFixed(1);
  const n = (v: number) => String(v);
  console.log(`Outbox vs plain publish on RabbitMQ ${amqpUrl.replace(/:[^:@/]+@/, ':***@')}, PostgreSQL ${postgresUrl.replace(/:[^:@/]+@/, ':***@')}`);
  console.log(`${count} orders by ${writers} writers (under load), ${idleCount} one at a time (idle); ${rounds} rounds, medians [each round]`);
  console.log('| variant | orders committed/s | messages arrived/s | commit→consumer p50 / p99 under load (ms) | idle p50 / p99 (ms) |');
  console.log('|---|---|---|---|---|');
  for (const variant of variants) {
    const f = results.get(variant)!;
    const pick = (k: keyof Figures) => median(f.map((x) => x[k]));
    console.log(`| ${variant.name} | ${n(pick('committedPerS'))} | ${n(pick('arrivedPerS'))} | ${ms(pick('loadP50'))} / ${ms(pick('loadP99'))} | ${ms(pick('idleP50'))} / ${ms(pick('idleP99'))} |`);
  }
  for (const variant of variants) {
    const f = results.get(variant)!;
    console.log(`  ${variant.name}: arrived/s [${f.map((x) => n(x.arrivedPerS)).join(', ')}], load p99 [${f.map((x) => ms(x.loadP99)).join(', ')}], idle p50 [${f.map((x) => ms(x.idleP50)).join(', ')}]`);
  }
}

await main();
