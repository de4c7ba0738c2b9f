/**
 * One fault run against one broker: a producer process publishes `plan.messages` messages while
 * competing consumer processes handle them; consumers are SIGKILLed and restarted, the broker is
 * restarted and every client connection is cut, at random moments spread over the run. Every
 * message is counted by id: published (the broker accepted it), handled, lost, duplicated.
 */
import { randomBytes } from 'node:crypto';
import { startTcpProxy, type TcpProxy } from '@ferry/testkit';
import { startChild, type Child } from './children.ts';
import { prepareEffects } from './effects.ts';
import { LINE, type BrokerKind, type ChildConfig, type Plan } from './plan.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A broker the run can reach through the fault proxy, and restart. */
export interface Target {
  readonly kind: BrokerKind;
  readonly brokerAddress: Endpoint;
  /** URL and adapter options of a client whose every connection goes through `proxy`. */
  client(proxy: Endpoint): { url: string; transport: Record<string, unknown> };
  /** Stops the broker abruptly and starts it again on the same data; resolves once it answers. */
  restart(): Promise<void>;
  /**
   * The proxy holds client traffic from the kill until restart() resolves: for a broker that
   * answers before it has restored its data (ElasticMQ, see integration/harness/elasticmq-local.ts),
   * which no real deployment of it does.
   */
  readonly holdClientsWhileRestarting?: boolean;
}

export type FaultKind = 'kill' | 'restart' | 'cut';

export interface Recovery {
  readonly kind: FaultKind;
  /** When the fault came, from the start of publishing. */
  readonly atMs: number;
  /** Messages published and not yet handled when it came. */
  readonly outstanding: number;
  /**
   * From the fault until every one of those had been handled (so it includes a restart's
   * outage, a dead consumer's session timeout or visibility timeout, and the backlog); 0 when
   * none was outstanding; undefined when some never were.
   */
  readonly ms: number | undefined;
}

export interface Result {
  readonly broker: BrokerKind;
  readonly mode: Plan['mode'];
  readonly published: number;
  /** Published ids with an effect. */
  readonly handled: number;
  /** Published ids without an effect. */
  readonly lost: number;
  /** Deliveries beyond the first, summed over ids (before the exactly-once step drops copies). */
  readonly duplicateDeliveries: number;
  /** Effects beyond the first, summed over ids: the handler's runs, or the committed rows / output records (effects.ts). */
  readonly duplicateEffects: number;
  /**
   * Of the ids with more than one effect, those whose earlier effect came from a consumer process
   * that was then SIGKILLed (the effect done, its completion never recorded); undefined when the
   * effects are counted elsewhere (eo-inbox, eo-transactions).
   */
  readonly duplicateEffectsFromKills: number | undefined;
  readonly duplicatedIds: number;
  /** Longest time without a handled message while some were outstanding. */
  readonly longestStallMs: number;
  readonly recoveries: readonly Recovery[];
  readonly durationMs: number;
  /** Up to 10 lost ids, to look for. */
  readonly lostSample: readonly string[];
  /** Of the lost ids, those a consumer received at least once (a `D` line): taken, never handled. */
  readonly lostDelivered: number;
  /** From the last handled message to the end of the run. */
  readonly quietAtEndMs: number;
  /** Up to 10 ids with more than one effect. */
  readonly duplicateSample: readonly string[];
  readonly complete: boolean;
  /** The children's last stderr lines when the run did not complete. */
  readonly stderrTail: readonly string[];
}

interface Fault {
  readonly kind: FaultKind;
  /** Fires this long after the producer started. */
  readonly at: number;
}

/** A consumer is killed only after it has been up this long. */
const MIN_UPTIME_MS = 3_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

/** Faults at random moments between 5 % and 90 % of the publishing time, in order. */
function schedule(plan: Plan): Fault[] {
  const at = () => Math.floor(plan.publishMs * between(0.05, 0.9));
  const faults: Fault[] = [
    ...Array.from({ length: plan.kills }, () => ({ kind: 'kill' as const, at: at() })),
    ...Array.from({ length: plan.restarts }, () => ({ kind: 'restart' as const, at: at() })),
    ...Array.from({ length: plan.cuts }, () => ({ kind: 'cut' as const, at: at() })),
  ];
  return faults.sort((a, b) => a.at - b.at);
}

export async function runScenario(target: Target, plan: Plan, log: (line: string) => void = () => undefined): Promise<Result> {
  const run = randomBytes(4).toString('hex');
  const effects = await prepareEffects(plan.mode, run, target.brokerAddress, log);
  const proxy: TcpProxy = await startTcpProxy({ targetHost: target.brokerAddress.host, targetPort: target.brokerAddress.port });
  const { url, transport } = target.client(proxy);
  const base: ChildConfig = { url, transport, topic: `faults-${target.kind}-${run}`, group: `faults-${run}`, mode: plan.mode, concurrency: plan.concurrency, effects: effects.target };
  const published = new Set<string>();
  const delivered = new Map<string, number>();
  /** Per id, the consumer instance (`consumer-<i>.<generation>`) of each handler run, in order. */
  const handled = new Map<string, string[]>();
  /** Consumer instances SIGKILLed so far. */
  const killed = new Set<string>();
  const stderr: string[] = [];
  let producerDone = false;
  /** Published ids also handled (either line may come first). */
  let matched = 0;
  const started = Date.now();
  let lastHandledAt = Date.now();
  let longestStallMs = 0;
  let publishing = Date.now();
  /** Per fault, the ids outstanding when it came, removed as they are handled. */
  const afterFault: Array<{ kind: FaultKind; since: number; outstanding: number; waiting: Set<string>; ms: number | undefined }> = [];
  const handledNow = (id: string, now: number) => {
    for (const f of afterFault) {
      if (f.ms !== undefined || !f.waiting.delete(id)) continue;
      if (f.waiting.size === 0) f.ms = now - f.since;
    }
  };

  const onLine = (line: string, child: string) => {
    const [kind, id] = line.split(' ', 2) as [string, string | undefined];
    if (kind === LINE.published && id) {
      if (!published.has(id) && handled.has(id)) matched++;
      published.add(id);
    }
    else if (kind === LINE.done) producerDone = true;
    else if (kind === LINE.delivered && id) delivered.set(id, (delivered.get(id) ?? 0) + 1);
    else if (kind === LINE.handled && id) {
      const now = Date.now();
      longestStallMs = Math.max(longestStallMs, now - lastHandledAt);
      lastHandledAt = now;
      const runs = handled.get(id);
      if (runs === undefined) {
        if (published.has(id)) matched++;
        handled.set(id, [child]);
        handledNow(id, now);
      } else runs.push(child);
    }
  };

  const consumers: Child[] = [];
  const generations: number[] = [];
  /** Consumers that printed READY and were not killed since: the ones a kill may pick. */
  const live = new Set<number>();
  const readyAt: number[] = [];
  /** Replacements still starting (a kill does not wait for them: the next fault keeps its time). */
  const starting = new Set<Promise<void>>();
  const startConsumer = (i: number): Child => {
    generations[i] = (generations[i] ?? 0) + 1;
    const child = startChild(`consumer-${i}.${generations[i]}`, 'consumer-child.ts', base, onLine, stderr);
    consumers[i] = child;
    void child.ready.then(() => {
      if (consumers[i] !== child) return;
      live.add(i);
      readyAt[i] = Date.now();
    }, () => undefined);
    return child;
  };
  let producer: Child | undefined;
  let counted: Map<string, number> | undefined;
  try {
    await Promise.all(Array.from({ length: plan.consumers }, (_, i) => startConsumer(i).ready));
    producer = startChild('producer', 'producer-child.ts', { ...base, prefix: `m-${run}`, messages: plan.messages, publishMs: plan.publishMs }, onLine, stderr);
    log(`${target.kind} ${plan.mode}: ${plan.consumers} consumers ready; publishing ${plan.messages} over ${plan.publishMs / 1000} s`);
    // The fault clock starts with the stream: the producer's first accepted publish (its start-up takes seconds under load).
    while (published.size === 0 && !producerDone && Date.now() < started + plan.deadlineMs) await sleep(20);
    publishing = Date.now();
    lastHandledAt = Date.now();
    const faults = schedule(plan);
    const deadline = started + plan.deadlineMs;
    const outstanding = () => !producerDone || matched < published.size;
    let lastProgress = Date.now();
    while (Date.now() < deadline) {
      const next = faults[0];
      if (next && Date.now() - publishing >= next.at) {
        faults.shift();
        const waiting = new Set([...published].filter((id) => !handled.has(id)));
        afterFault.push({ kind: next.kind, since: Date.now(), outstanding: waiting.size, waiting, ms: waiting.size === 0 ? 0 : undefined });
        await inject(next.kind);
        continue;
      }
      if (faults.length === 0 && !outstanding()) break;
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        log(`${target.kind} ${plan.mode}: ${published.size} published, ${delivered.size} delivered, ${handled.size} handled, ${live.size} consumers up`);
      }
      await sleep(50);
    }
    if (outstanding()) longestStallMs = Math.max(longestStallMs, Date.now() - lastHandledAt);
    await Promise.race([Promise.all(starting), sleep(30_000)]);
    // Effects committed elsewhere (rows, output records) trail the handler's line; the consumers keep running meanwhile.
    if (effects.count) counted = await effects.count(published, Math.max(30_000, deadline - Date.now()));
  } finally {
    producer?.kill();
    for (const c of consumers) c?.process.kill('SIGTERM');
    await Promise.race([Promise.all(consumers.map((c) => c?.exited)), sleep(5_000)]);
    for (const c of consumers) c?.kill();
    await proxy.close();
  }

  async function inject(kind: FaultKind): Promise<void> {
    if (kind === 'kill') {
      // A consumer that has run for a few seconds (while all are still starting, wait for one):
      // killing each replacement as it comes up would only test start-up.
      const up = () => [...live].filter((i) => Date.now() - (readyAt[i] ?? Infinity) >= MIN_UPTIME_MS);
      while (up().length === 0) {
        if (Date.now() > started + plan.deadlineMs) return; // none came up: the run reports what is outstanding
        await sleep(50);
      }
      const candidates = up();
      const i = candidates[Math.floor(Math.random() * candidates.length)]!;
      const victim = consumers[i]!;
      log(`${target.kind} ${plan.mode}: SIGKILL ${victim.name} at ${handled.size} handled`);
      live.delete(i);
      killed.add(victim.name);
      victim.kill();
      await victim.exited;
      // Started again a moment later, in the background (and again if it fails to start, e.g. during a broker restart).
      const replacement = (async () => {
        for (let attempt = 1; ; attempt++) {
          await sleep(between(200, 1_500));
          try {
            return await startConsumer(i).ready;
          } catch (error) {
            log(`consumer-${i} did not start (attempt ${attempt}): ${String(error)}`);
            if (attempt === 10) return;
          }
        }
      })();
      starting.add(replacement);
      void replacement.finally(() => starting.delete(replacement));
    } else if (kind === 'restart') {
      log(`${target.kind} ${plan.mode}: restarting the broker at ${handled.size} handled`);
      if (target.holdClientsWhileRestarting) proxy.pause();
      try {
        await target.restart();
      } finally {
        proxy.resume();
      }
    } else {
      log(`${target.kind} ${plan.mode}: cutting ${proxy.connectionCount()} connections at ${handled.size} handled`);
      proxy.cutAll();
    }
  }

  const effectCounts = counted ?? new Map([...handled].map(([id, runs]) => [id, runs.length]));
  const lostIds = [...published].filter((id) => !effectCounts.has(id));
  const sum = (counts: Iterable<number>) => [...counts].reduce((total, n) => total + n - 1, 0);
  const duplicatedIds = [...effectCounts].filter(([, n]) => n > 1).map(([id]) => id);
  // An earlier run of the handler in a process that was then killed explains a later one.
  const fromKills = duplicatedIds.filter((id) => (handled.get(id) ?? []).slice(0, -1).some((child) => killed.has(child))).length;
  const complete = producerDone && lostIds.length === 0;
  const result: Result = {
    broker: target.kind,
    mode: plan.mode,
    published: published.size,
    handled: [...published].filter((id) => effectCounts.has(id)).length,
    lost: lostIds.length,
    duplicateDeliveries: sum(delivered.values()),
    duplicateEffects: sum(effectCounts.values()),
    duplicateEffectsFromKills: counted === undefined ? fromKills : undefined,
    duplicatedIds: duplicatedIds.length,
    longestStallMs,
    recoveries: afterFault.map((f) => ({ kind: f.kind, atMs: f.since - publishing, outstanding: f.outstanding, ms: f.ms })),
    durationMs: Date.now() - started,
    lostSample: lostIds.slice(0, 10),
    lostDelivered: lostIds.filter((id) => delivered.has(id)).length,
    quietAtEndMs: Date.now() - lastHandledAt,
    duplicateSample: duplicatedIds.slice(0, 10),
    complete,
    stderrTail: complete ? [] : stderr.slice(-20),
  };
  await effects.close(!complete || (counted !== undefined && duplicatedIds.length > 0)).catch((error: unknown) => log(`cleaning up: ${String(error)}`));
  return result;
}
