/**
 * One bridge crash run: `ferry bridge` (a child process) copies a topic from one broker to
 * another while messages are published to the source; it is SIGKILLed at random moments and
 * restarted. At the destination an exactly-once consumer with a shared Redis store counts every
 * delivery and every effect by message id.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bridge, createClient, type Client } from '@ferry/core';
import { RedisIdempotencyStore } from '@ferry/redis';
import { storesFromEnv, uniqueName } from '../harness/index.ts';
import { dropRedisPrefix } from '../exactly-once/stores.ts';
import { cleanup, setup, type Broker } from './brokers.ts';
import { startBridge, type BridgeChild } from './bridge-child.ts';
import { Effects, itemMessage } from './effects.ts';

export interface Direction {
  readonly from: Broker;
  readonly to: Broker;
  /** Both brokers keep a key's order (as configured here): the run checks it. */
  readonly ordered: boolean;
}

export interface KillRecord {
  readonly atSeconds: number;
  readonly published: number;
  readonly effects: number;
  /** What the killed bridge had reported copied, and held (received, not yet confirmed), in its last progress line. */
  readonly copiedByVictim: number;
  readonly heldByVictim: number;
}

export interface BridgeCrashResult {
  readonly direction: string;
  readonly messages: number;
  readonly kills: number;
  /** Kills of a bridge that held messages at its last progress line. */
  readonly killsUnderLoad: number;
  readonly killRecords: readonly KillRecord[];
  readonly lost: number;
  readonly duplicatedDeliveries: number;
  readonly duplicatedIds: number;
  /** Of the duplicated deliveries, those the destination broker made again itself (attempt > 1). */
  readonly redeliveredByDestination: number;
  readonly duplicateEffects: number;
  readonly orderChecked: boolean;
  readonly orderViolations: number;
  /** Where the first key's order broke, for the failure message. */
  readonly firstViolation: string | undefined;
  /** Messages a final bridge of the group still found at the source after the last one stopped. */
  readonly leftAtSource: number;
  /** Whether the last bridge stopped gracefully on SIGTERM (exit 0, a `stopped` line). */
  readonly gracefulStop: boolean;
  readonly seconds: number;
}

const KEYS = 64;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function bridgeCrashRun(direction: Direction, options: { messages: number; kills: number; deadlineMs: number }): Promise<BridgeCrashResult> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  const { from, to, ordered } = direction;
  const topic = uniqueName(`mig-${from}-${to}`);
  const src = setup(from, { ordered, prefix: topic });
  const dst = setup(to, { ordered, prefix: topic });
  const bridgeGroup = uniqueName('bridge');
  const appGroup = uniqueName('app');
  const keyPrefix = `ferry-migration:${randomBytes(4).toString('hex')}:`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bridge-crash-'));
  const optionsFile = path.join(dir, 'options.json');
  writeFileSync(optionsFile, JSON.stringify({ from: src.options, to: dst.options }));
  const args = [src.url, dst.url, topic, '--group', bridgeGroup, '--to-groups', appGroup, '--options', `@${optionsFile}`, '--interval-ms', '200'];
  const clients: Client[] = [];
  const children: BridgeChild[] = [];
  const store = new RedisIdempotencyStore({ url: storesFromEnv().redis.url, keyPrefix });
  try {
    // The application at the destination, running before and during the whole copy.
    const effects = new Effects();
    const app = await createClient(dst.url, { transport: dst.options, idempotencyStore: store });
    clients.push(app);
    await effects.consume(app, { topic, group: appGroup, store, ...(ordered ? { orderedByKey: true } : {}) });

    // The source's producer declares the bridge's group: a queue broker keeps messages for it
    // also while no bridge runs (between a kill and the restart).
    const producerClient = await createClient(src.url, { transport: src.options, topics: { [topic]: { groups: [bridgeGroup] } } });
    clients.push(producerClient);
    const producer = producerClient.producer();
    const Item = itemMessage(topic);

    const spawnBridge = async () => {
      const child = startBridge(args);
      children.push(child);
      await child.ready;
      return child;
    };
    let live = await spawnBridge();

    const run = randomBytes(4).toString('hex');
    const ids = Array.from({ length: options.messages }, (_, n) => `${run}-${n}`);
    let published = 0;
    // Each key's messages one after another, also across slices (its order at the source is n's
    // order), the keys at once.
    const keyTails: Array<Promise<void>> = Array.from({ length: KEYS }, () => Promise.resolve());
    const publishSlice = async (lo: number, hi: number) => {
      await Promise.all(
        keyTails.map((tail, k) => {
          keyTails[k] = tail.then(async () => {
            for (let n = lo + ((k - (lo % KEYS) + KEYS) % KEYS); n < hi; n += KEYS) {
              await producer.publish(Item, { n }, { id: ids[n]!, key: `k${k}` });
              published++;
            }
          });
          return keyTails[k];
        }),
      );
    };
    const slices = options.kills + 1;
    const publishing: Promise<void>[] = [];
    const killRecords: KillRecord[] = [];
    const deadline = Date.now() + options.deadlineMs;
    for (let slice = 0; slice < slices; slice++) {
      const lo = Math.round((options.messages * slice) / slices);
      const hi = Math.round((options.messages * (slice + 1)) / slices);
      publishing.push(publishSlice(lo, hi));
      if (killRecords.length >= options.kills) break;
      // Killed while copying: once it reports holding messages and has copied some (a bridge still
      // joining its group, or one that caught up, has nothing in flight).
      await sleep(200 + Math.random() * 800);
      const victim = live;
      // Copying, not only holding its first receive: a kill then leaves copies to send again.
      const active = () => {
        const progress = victim.events.filter((e) => e.event === 'progress').at(-1);
        return Number(progress?.inFlight ?? 0) > 0 && Number(progress?.copied ?? 0) > 0;
      };
      for (const until = Date.now() + 30_000; !active() && Date.now() < until; ) await sleep(50);
      const last = victim.events.filter((e) => e.event === 'progress').at(-1);
      killRecords.push({ atSeconds: seconds(), published, effects: effects.effects.size, copiedByVictim: last?.copied ?? 0, heldByVictim: Number(last?.inFlight ?? 0) });
      live.process.kill('SIGKILL');
      await live.exited;
      live = await spawnBridge();
    }
    await Promise.all(publishing);
    while (effects.effects.size < options.messages && Date.now() < deadline) await sleep(250);
    // Late copies (an SQS message a killed bridge held comes back after its visibility timeout).
    await sleep(from === 'sqs' ? 7_000 : 2_000);

    live.process.kill('SIGTERM');
    const code = await live.exited;
    const gracefulStop = code === 0 && live.events.some((e) => e.event === 'stopped');
    const tally = effects.tally(ids);

    // Anything the bridges left unsettled at the source would be copied by the next one.
    const sourceClient = await createClient(src.url, { transport: src.options });
    clients.push(sourceClient);
    const sink = await createClient('memory://migration-final-pass');
    clients.push(sink);
    const final = await (await bridge({ from: sourceClient, to: sink, topics: [topic], group: bridgeGroup, idleMs: from === 'kafka' ? 10_000 : 4_000 })).done;

    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) console.error(`bridge ${child.process.pid} still running`);
    const failed = children.filter((c) => c.process.signalCode !== 'SIGKILL' && c.process.exitCode !== 0 && c.process.exitCode !== null);
    for (const c of failed) console.error(`bridge ${c.process.pid} exited ${String(c.process.exitCode)}: ${c.stderr()}`);
    return {
      direction: `${from} → ${to}`,
      messages: options.messages,
      kills: killRecords.length,
      killsUnderLoad: killRecords.filter((k) => k.heldByVictim > 0).length,
      killRecords,
      ...tally,
      redeliveredByDestination: effects.redeliveredByDestination,
      orderChecked: ordered,
      leftAtSource: final.copied,
      gracefulStop,
      seconds: seconds(),
    };
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await Promise.allSettled(clients.map((c) => c.close({ timeoutMs: 2_000 })));
    await store.close();
    await Promise.allSettled([dropRedisPrefix(keyPrefix), cleanup(from, topic), cleanup(to, topic)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The results as a table, one row per direction. */
export function formatBridgeTable(results: readonly BridgeCrashResult[]): string {
  const head = ['direction', 'messages', 'kills (holding messages)', 'lost', 'duplicated deliveries (ids)', 'of them redelivered by the destination', 'duplicate effects', 'per-key order', 'left at source', 'graceful stop', 'seconds'];
  const rows = results.map((r) => [
    r.direction,
    String(r.messages),
    `${r.kills} (${r.killsUnderLoad})`,
    String(r.lost),
    `${r.duplicatedDeliveries} (${r.duplicatedIds})`,
    String(r.redeliveredByDestination),
    String(r.duplicateEffects),
    r.orderChecked ? `${r.orderViolations} violations` : 'not kept (not checked)',
    String(r.leftAtSource),
    r.gracefulStop ? 'yes' : 'NO',
    String(r.seconds),
  ]);
  return table(head, rows);
}

/** Each kill of one run: when, how far publishing and the destination's effects were. */
export function formatKillTable(result: BridgeCrashResult): string {
  const head = ['kill', 'at s', 'published', 'effects at destination', 'the killed bridge: copied / holding'];
  return table(
    head,
    result.killRecords.map((k, i) => [String(i + 1), String(k.atSeconds), String(k.published), String(k.effects), `${k.copiedByVictim} / ${k.heldByVictim}`]),
  );
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
