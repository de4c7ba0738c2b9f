/**
 * One fault run against one broker: a producer process publishes `plan.messages` messages while
 * competing consumer processes handle them; consumers are SIGKILLed and restarted, the broker is
 * restarted and every client connection is cut, at random moments spread over the run. Every
 * message is counted by id: published (the broker accepted it), handled, lost, duplicated.
 */
import { randomBytes } from 'node:crypto';
import { startTcpProxy, type TcpProxy } from '@ferry/testkit';
import { startChild, type Child } from './children.ts';
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
}

export type FaultKind = 'kill' | 'restart' | 'cut';

export interface Recovery {
  readonly kind: FaultKind;
  /** From the fault to the first message handled after the fault was over; undefined: none came. */
  readonly ms: number | undefined;
  /** Nothing was left to handle after it (the run's last messages were handled before it ended). */
  readonly afterTheEnd: boolean;
}

export interface Result {
  readonly broker: BrokerKind;
  readonly mode: Plan['mode'];
  readonly published: number;
  readonly handled: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Longest time without a handled message while some were outstanding. */
  readonly longestStallMs: number;
  readonly recoveries: readonly Recovery[];
  readonly durationMs: number;
  /** Up to 10 lost ids, to look for. */
  readonly lostSample: readonly string[];
  readonly complete: boolean;
  /** The children's last stderr lines when the run did not complete. */
  readonly stderrTail: readonly string[];
}

interface Fault {
  readonly kind: FaultKind;
  /** Fires this long after the producer started. */
  readonly at: number;
}

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
  const proxy: TcpProxy = await startTcpProxy({ targetHost: target.brokerAddress.host, targetPort: target.brokerAddress.port });
  const { url, transport } = target.client(proxy);
  const base: ChildConfig = { url, transport, topic: `faults-${target.kind}-${run}`, group: `faults-${run}`, mode: plan.mode, concurrency: plan.concurrency };
  const published = new Set<string>();
  const handled = new Map<string, number>();
  const stderr: string[] = [];
  let producerDone = false;
  /** Published ids also handled (either line may come first). */
  let matched = 0;
  const started = Date.now();
  let lastHandledAt = Date.now();
  let longestStallMs = 0;
  const afterFault: Array<{ since: number; over: number | undefined; kind: FaultKind; ms: number | undefined; handledBefore: number }> = [];

  const onLine = (line: string) => {
    const [kind, id] = line.split(' ', 2) as [string, string | undefined];
    if (kind === LINE.published && id) {
      if (!published.has(id) && handled.has(id)) matched++;
      published.add(id);
    }
    else if (kind === LINE.done) producerDone = true;
    else if (kind === LINE.handled && id) {
      const now = Date.now();
      longestStallMs = Math.max(longestStallMs, now - lastHandledAt);
      lastHandledAt = now;
      const count = handled.get(id) ?? 0;
      if (count === 0 && published.has(id)) matched++;
      handled.set(id, count + 1);
      for (const f of afterFault) if (f.ms === undefined && f.over !== undefined) f.ms = now - f.since;
    }
  };

  const consumers: Child[] = [];
  const startConsumer = (i: number): Child => {
    const child = startChild(`consumer-${i}`, 'consumer-child.ts', base, onLine, stderr);
    consumers[i] = child;
    return child;
  };
  let producer: Child | undefined;
  try {
    await Promise.all(Array.from({ length: plan.consumers }, (_, i) => startConsumer(i).ready));
    producer = startChild('producer', 'producer-child.ts', { ...base, prefix: `m-${run}`, messages: plan.messages, publishMs: plan.publishMs }, onLine, stderr);
    log(`${target.kind}: ${plan.consumers} consumers ready; publishing ${plan.messages} over ${plan.publishMs / 1000} s`);
    const publishing = Date.now();
    lastHandledAt = Date.now();
    const faults = schedule(plan);
    const deadline = started + plan.deadlineMs;
    const outstanding = () => !producerDone || matched < published.size;
    while (Date.now() < deadline) {
      const next = faults[0];
      if (next && Date.now() - publishing >= next.at) {
        faults.shift();
        const record = { since: Date.now(), over: undefined as number | undefined, kind: next.kind, ms: undefined as number | undefined, handledBefore: matched };
        afterFault.push(record);
        await inject(next.kind);
        record.over = Date.now();
        continue;
      }
      if (faults.length === 0 && !outstanding()) break;
      await sleep(50);
    }
    if (outstanding()) longestStallMs = Math.max(longestStallMs, Date.now() - lastHandledAt);
  } finally {
    producer?.kill();
    for (const c of consumers) c?.process.kill('SIGTERM');
    await Promise.race([Promise.all(consumers.map((c) => c?.exited)), sleep(5_000)]);
    for (const c of consumers) c?.kill();
    await proxy.close();
  }

  async function inject(kind: FaultKind): Promise<void> {
    if (kind === 'kill') {
      const i = Math.floor(Math.random() * consumers.length);
      log(`${target.kind}: SIGKILL consumer-${i} at ${handled.size} handled`);
      consumers[i]!.kill();
      await consumers[i]!.exited;
      await sleep(between(200, 1_500));
      await startConsumer(i).ready;
    } else if (kind === 'restart') {
      log(`${target.kind}: restarting the broker at ${handled.size} handled`);
      await target.restart();
    } else {
      log(`${target.kind}: cutting ${proxy.connectionCount()} connections at ${handled.size} handled`);
      proxy.cutAll();
    }
  }

  const lostIds = [...published].filter((id) => !handled.has(id));
  let duplicates = 0;
  for (const count of handled.values()) duplicates += count - 1;
  return {
    broker: target.kind,
    mode: plan.mode,
    published: published.size,
    handled: handled.size,
    lost: lostIds.length,
    duplicates,
    longestStallMs,
    recoveries: afterFault.map((f) => ({ kind: f.kind, ms: f.ms, afterTheEnd: f.ms === undefined && producerDone && f.handledBefore >= published.size })),
    durationMs: Date.now() - started,
    lostSample: lostIds.slice(0, 10),
    complete: producerDone && lostIds.length === 0,
    stderrTail: producerDone && lostIds.length === 0 ? [] : stderr.slice(-20),
  };
}
