/**
 * One outbox run on a real broker: concurrent writer transactions fill the outbox while `ferry
 * relay` processes publish it (one of them SIGKILLed at random moments and restarted, when asked);
 * a consumer with the PostgreSQL inbox counts every delivery and effect by id. Then: lost ids,
 * copies (ids delivered more than once), duplicate effects, rolled-back ids that arrived, and keys
 * whose effects are out of commit order.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { defineMessage } from '@ferry/core';
import { postgresOutbox } from '@ferry/postgres';
import { z } from 'zod';
import { storesFromEnv, uniqueName } from '../harness/index.ts';
import { runSchema } from '../exactly-once/stores.ts';
import { brokerUrl, consumerClient, type OutboxBroker } from './brokers.ts';
import { startCountingConsumer } from './counting-consumer.ts';
import { startRelayProcess, stopRelayProcess, type RelayProcess } from './relay-process.ts';
import { createWriters } from './writers.ts';

export interface OutboxRunOptions {
  readonly messages: number;
  /** SIGKILLs of a relay process, each followed by a restart (0: none). */
  readonly kills: number;
  /** Relay processes running at once. */
  readonly relays: number;
  readonly keys: number;
  readonly writers: number;
  readonly deadlineMs: number;
}

export interface OutboxRunResult {
  readonly broker: OutboxBroker;
  readonly relays: number;
  readonly messages: number;
  readonly transactions: number;
  readonly rolledBack: number;
  readonly kills: number;
  /** Kills while committed rows were still unsent (a kill of an idle relay proves little). */
  readonly killsWithPending: number;
  readonly lost: number;
  /** Delivered ids whose transaction rolled back (must be 0). */
  readonly phantoms: number;
  /** Ids the broker delivered more than once (a re-sent row: same id), and the extra deliveries. */
  readonly copiedIds: number;
  readonly extraDeliveries: number;
  /** Ids with more than one effect (must be 0: the inbox suppresses copies). */
  readonly duplicateEffects: number;
  /** Keys whose effects are not in the key's commit order; undefined where the consumer does not keep per-key order (RabbitMQ without single active consumer, SQS standard queues). */
  readonly keysOutOfOrder: number | undefined;
  /** Relay processes that, at the end, stopped on SIGTERM as they should: exit 0 after `relay stopped`. */
  readonly gracefulStops: number;
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function outboxRun(broker: OutboxBroker, options: OutboxRunOptions): Promise<OutboxRunResult> {
  const t0 = performance.now();
  const postgresUrl = storesFromEnv().postgres.url;
  const db = runSchema('ferry_outbox_it');
  const topic = uniqueName(`outbox-${broker}`);
  const run = randomBytes(4).toString('hex');
  const Item = defineMessage('outbox.item', z.object({ n: z.number().int() }), { topic });
  const relays: RelayProcess[] = [];
  const client = await consumerClient(broker);
  let consumer: Awaited<ReturnType<typeof startCountingConsumer>> | undefined;
  try {
    await db.migrated();
    const outbox = postgresOutbox({ schema: db.schema });
    const writers = await createWriters({ pool: db.pool, schema: db.schema, outbox, message: Item, keys: options.keys, concurrency: options.writers, run });
    // The consumer first: its queue (RabbitMQ), queue (SQS) or topic (Kafka) exists before any send.
    consumer = await startCountingConsumer({ client, postgresUrl, schema: db.schema, message: Item, group: uniqueName('outbox-g'), concurrency: 16 });
    const flags = ['--schema', db.schema, '--batch', '500'];
    // A relay that cannot get a connection at start exits 1, as it should; on this shared machine
    // other test runs can fill PostgreSQL's connections for a moment (53300), so that one is retried.
    const spawn = async (): Promise<RelayProcess> => {
      for (let attempt = 1; ; attempt++) {
        const relay = startRelayProcess(postgresUrl, brokerUrl(broker), flags);
        relays.push(relay);
        try {
          await relay.ready;
          return relay;
        } catch (error) {
          if (attempt >= 10 || !/too many clients|53300/.test(relay.output())) throw error;
          await sleep(500);
        }
      }
    };
    const live = await Promise.all(Array.from({ length: options.relays }, spawn));

    const pending = async () => Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${db.schema}".ferry_outbox WHERE sent_at IS NULL`)).rows[0]!.n);
    const deadline = Date.now() + options.deadlineMs;
    const slices = options.kills + 1;
    const writing: Promise<void>[] = [];
    let kills = 0;
    let killsWithPending = 0;
    for (let slice = 1; slice <= slices && Date.now() < deadline; slice++) {
      writing.push(writers.writeUntil(Math.round((options.messages * slice) / slices)));
      if (kills >= options.kills) break;
      await sleep(200 + randomInt(1_000));
      const i = randomInt(live.length);
      if ((await pending()) > 0) killsWithPending++;
      live[i]!.child.kill('SIGKILL');
      kills++;
      await live[i]!.exited;
      live[i] = await spawn();
    }
    await Promise.all(writing);
    const committed = writers.log.committed;
    while ((await consumer.effects()) < committed.length && Date.now() < deadline) await sleep(250);
    await sleep(2_000); // late copies would land meanwhile
    await Promise.all(live.map((r) => stopRelayProcess(r)));
    const gracefulStops = live.filter((r) => r.child.exitCode === 0 && r.output().includes('relay stopped:')).length;

    const effects = await db.pool.query<{ id: string; n: string }>(`SELECT id, count(*) AS n FROM "${db.schema}".effects GROUP BY id`);
    const effected = new Map(effects.rows.map((r) => [r.id, Number(r.n)]));
    const deliveries = consumer.deliveries;
    const copied = [...deliveries.values()].filter((n) => n > 1);
    return {
      broker,
      relays: options.relays,
      messages: committed.length,
      transactions: writers.log.transactions,
      rolledBack: writers.log.rolledBack.length,
      kills,
      killsWithPending,
      lost: committed.filter((id) => !effected.has(id)).length,
      phantoms: writers.log.rolledBack.filter((id) => deliveries.has(id) || effected.has(id)).length,
      copiedIds: copied.length,
      extraDeliveries: copied.reduce((sum, n) => sum + n - 1, 0),
      duplicateEffects: [...effected.values()].filter((n) => n > 1).length,
      keysOutOfOrder: client.capabilities.orderingByKey ? await keysOutOfOrder(db.pool, db.schema) : undefined,
      gracefulStops,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${relays.map((r) => `relay ${r.child.pid}: ${r.output()}`).join('\n')}`, { cause: error });
  } finally {
    for (const r of relays) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await consumer?.close().catch(() => undefined);
    await client.close({ timeoutMs: 2_000 });
    await db.drop();
  }
}

/** Keys whose first effects, in the order they were written, do not follow the key's commit order. */
async function keysOutOfOrder(pool: import('pg').Pool, schema: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`
    SELECT count(DISTINCT key) AS n FROM (
      SELECT w.key, w.n < lag(w.n) OVER (PARTITION BY w.key ORDER BY e.first) AS backwards
      FROM (SELECT id, min(seq) AS first FROM "${schema}".effects GROUP BY id) AS e JOIN "${schema}".witness AS w USING (id)
    ) AS s WHERE backwards`);
  return Number(rows[0]!.n);
}

/** The results as a table, one row per run. */
export function formatOutboxTable(results: readonly OutboxRunResult[]): string {
  const head = ['broker', 'relays', 'messages (transactions; rolled-back messages)', 'kills (rows pending)', 'lost', 'rolled back but arrived', 'copies: ids (extra deliveries)', 'duplicate effects', 'keys out of order', 'seconds'];
  const rows = results.map((r) => [
    r.broker,
    String(r.relays),
    `${r.messages} (${r.transactions}; ${r.rolledBack})`,
    `${r.kills} (${r.killsWithPending})`,
    String(r.lost),
    String(r.phantoms),
    `${r.copiedIds} (${r.extraDeliveries})`,
    String(r.duplicateEffects),
    r.keysOutOfOrder === undefined ? 'n/a' : String(r.keysOutOfOrder),
    String(r.seconds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
