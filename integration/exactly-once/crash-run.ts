/**
 * One crash run: two competing consumer processes (crash-child.ts) on one broker, N messages, a
 * child SIGKILLed at random moments and restarted; then every message's effects counted by id.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, defineMessage, type Transport } from '@ferry/core';
import { z } from 'zod';
import { uniqueName } from '../harness/index.ts';
import { startChild, type Child } from '../harness/child-process.ts';
import { kafka } from '../kafka/helpers.ts';
import { rabbit } from '../rabbitmq/helpers.ts';
import { sqs } from '../sqs/helpers.ts';
import { CRASH_SETTINGS, type CrashBroker, type CrashMode } from './crash-settings.ts';
import { dropRedisPrefix, runSchema } from './stores.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface CrashResult {
  readonly broker: CrashBroker;
  readonly mode: CrashMode;
  readonly messages: number;
  readonly kills: number;
  /** Kills while messages were still without an effect (the others hit idle consumers). */
  readonly killsUnderLoad: number;
  readonly lost: number;
  /** Effects beyond the first, summed over ids. */
  readonly duplicates: number;
  readonly duplicatedIds: number;
  /** Duplicated ids with an effect from a process that was then killed (effect done, completion never recorded). */
  readonly duplicatesFromKills: number;
  /** The other duplicated ids whose handler ran in a process that then failed to record the outcome (a Kafka transaction or a completion that failed: a rebalance took the partition). */
  readonly duplicatesFromFailedCommits: number;
  /** Duplicated ids neither explains (must be 0: no window explains them). */
  readonly duplicatesUnexplained: number;
  /** Most effects of one id. */
  readonly maxEffects: number;
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function crashRun(broker: CrashBroker, mode: CrashMode, options: { messages: number; kills: number; deadlineMs: number }): Promise<CrashResult> {
  const t0 = performance.now();
  const topic = uniqueName(`eo-crash-${broker}-${mode}`);
  const group = uniqueName('eo-crash-g');
  const db = runSchema('ferry_crash');
  const keyPrefix = `ferry-crash:${randomBytes(4).toString('hex')}:`;
  const children: Child[] = [];
  const log: string[] = [];
  const transports: Record<CrashBroker, () => Transport> = { kafka: () => kafka(CRASH_SETTINGS.kafka), rabbitmq: () => rabbit(), sqs: () => sqs(CRASH_SETTINGS.sqs) };
  const client = await createClient(transports[broker]());
  try {
    await db.migrated();
    await db.pool.query(`CREATE TABLE "${db.schema}".effects (id text NOT NULL, pid integer NOT NULL)`);
    await db.pool.query(`CREATE TABLE "${db.schema}".unsettled (id text NOT NULL, pid integer NOT NULL)`);
    const args = [broker, mode, topic, group, db.schema, keyPrefix];
    const spawnChild = () => {
      const c = startChild(path.join(here, 'crash-child.ts'), args, log);
      children.push(c);
      return c;
    };
    const live = [spawnChild(), spawnChild()];
    await Promise.all(live.map((c) => c.ready));

    const Item = defineMessage('crash.item', z.object({ n: z.number().int() }), { topic });
    const producer = client.producer();
    const run = randomBytes(4).toString('hex');
    const ids = Array.from({ length: options.messages }, (_, n) => `${run}-${n}`);
    // Published in kills + 1 slices, a kill after each of the first ones: every kill lands while
    // the children still have work (a kill of an idle consumer proves little).
    let published = 0;
    const publishSlice = async (upTo: number) => {
      let next = published;
      published = upTo;
      await Promise.all(
        Array.from({ length: 256 }, async () => {
          while (next < upTo) {
            const n = next++;
            await producer.publish(Item, { n }, { id: ids[n]! });
          }
        }),
      );
    };
    const slices = options.kills + 1;
    const publishing: Promise<void>[] = [];

    const distinct = async () => Number((await db.pool.query<{ n: string }>(`SELECT count(DISTINCT id) AS n FROM "${db.schema}".effects`)).rows[0]!.n);
    const killed = new Set<number>();
    let kills = 0;
    let killsUnderLoad = 0;
    const deadline = Date.now() + options.deadlineMs;
    for (let slice = 1; slice <= slices && Date.now() < deadline; slice++) {
      publishing.push(publishSlice(Math.round((options.messages * slice) / slices)));
      if (kills >= options.kills) break;
      await sleep(100 + Math.random() * 900);
      const i = Math.floor(Math.random() * live.length);
      const victim = live[i]!;
      if ((await distinct()) < published) killsUnderLoad++;
      killed.add(victim.process.pid!);
      victim.process.kill('SIGKILL');
      kills++;
      await victim.exited;
      live[i] = spawnChild();
      await live[i]!.ready;
    }
    await Promise.all(publishing);
    while ((await distinct()) < options.messages && Date.now() < deadline) await sleep(250);
    await sleep(2_000); // late duplicates would land meanwhile
    const { rows } = await db.pool.query<{ id: string; effects: string; pids: number[] }>(`SELECT id, count(*) AS effects, array_agg(pid) AS pids FROM "${db.schema}".effects GROUP BY id`);
    const seen = new Set(rows.map((r) => r.id));
    const duplicated = rows.filter((r) => Number(r.effects) > 1);
    const failedCommits = new Set((await db.pool.query<{ id: string }>(`SELECT DISTINCT id FROM "${db.schema}".unsettled`)).rows.map((r) => r.id));
    const fromKills = duplicated.filter((r) => r.pids.some((pid) => killed.has(pid)));
    const fromFailedCommits = duplicated.filter((r) => !fromKills.includes(r) && failedCommits.has(r.id));
    if (log.length > 0) console.error(log.join('\n'));
    return {
      broker,
      mode,
      messages: options.messages,
      kills,
      killsUnderLoad,
      lost: ids.filter((id) => !seen.has(id)).length,
      duplicates: duplicated.reduce((sum, r) => sum + Number(r.effects) - 1, 0),
      duplicatedIds: duplicated.length,
      duplicatesFromKills: fromKills.length,
      duplicatesFromFailedCommits: fromFailedCommits.length,
      duplicatesUnexplained: duplicated.length - fromKills.length - fromFailedCommits.length,
      maxEffects: rows.reduce((max, r) => Math.max(max, Number(r.effects)), 0),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM');
    await Promise.race([Promise.all(children.map((c) => c.exited)), sleep(8_000)]);
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await client.close({ timeoutMs: 2_000 });
    await Promise.all([db.drop(), dropRedisPrefix(keyPrefix)]);
  }
}

/** The results as a table, one row per broker and store. */
export function formatCrashTable(results: readonly CrashResult[]): string {
  const head = ['broker', 'exactly-once via', 'messages', 'kills (under load)', 'lost', 'duplicates (ids)', 'ids: from a kill / a failed commit / unexplained', 'max effects/id', 'seconds'];
  const rows = results.map((r) => [
    r.broker,
    r.mode === 'inbox' ? 'postgres inbox' : 'redis store',
    String(r.messages),
    `${r.kills} (${r.killsUnderLoad})`,
    String(r.lost),
    `${r.duplicates} (${r.duplicatedIds})`,
    `${r.duplicatesFromKills} / ${r.duplicatesFromFailedCommits} / ${r.duplicatesUnexplained}`,
    String(r.maxEffects),
    String(r.seconds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
