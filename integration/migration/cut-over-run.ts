/**
 * A live cut-over, as docs/migration.md's runbook does it: an application with two producer and
 * two consumer instances publishing and consuming steadily moves from broker A to broker B by
 * changing the URLs its instances are (re)started with, one instance at a time:
 *   1. everything on A;
 *   2. consumers read A and B (createClient([A, B]), a shared idempotency store);
 *   3. producers publish to both (the mirror);
 *   4. producers publish to B only;
 *   5. A is drained (the consumers, still reading both, finish what A holds for the group);
 *   6. consumers read B only; A is retired.
 * Every publish that resolved is counted by id at the end: its effect must have happened once.
 */
import { randomBytes } from 'node:crypto';
import { bridge, createClient, type Client, type ClientOptions } from '@ferry/core';
import { RedisIdempotencyStore } from '@ferry/redis';
import { storesFromEnv, uniqueName } from '../harness/index.ts';
import { dropRedisPrefix } from '../exactly-once/stores.ts';
import { cleanup, setup, type Broker, type BrokerSetup } from './brokers.ts';
import { Effects, itemMessage } from './effects.ts';

export interface CutOverStep {
  readonly step: string;
  readonly atSeconds: number;
  readonly published: number;
  readonly effects: number;
}

export interface CutOverResult {
  readonly direction: string;
  readonly published: number;
  readonly publishRetries: number;
  readonly lost: number;
  readonly duplicatedDeliveries: number;
  readonly duplicateEffects: number;
  /** Messages still on A for the group after the cut-over (a final bridge of the group found them). */
  readonly leftOnA: number;
  readonly steps: readonly CutOverStep[];
  readonly seconds: number;
}

type Target = { urls: readonly string[]; options: ReadonlyArray<Record<string, unknown>> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One producer instance: publishes steadily; a failed publish is tried again with the same id. */
class ProducerInstance {
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly client: Client,
    private readonly topic: string,
    private readonly name: string,
    private readonly counters: { published: string[]; retries: number; next: number },
  ) {}

  start(intervalMs: number): this {
    const Item = itemMessage(this.topic);
    const producer = this.client.producer();
    this.loop = (async () => {
      while (!this.stopped) {
        const n = this.counters.next++;
        const id = `${this.name}-${n}`;
        for (;;) {
          try {
            await producer.publish(Item, { n }, { id, key: `k${n % 16}` });
            this.counters.published.push(id);
            break;
          } catch {
            this.counters.retries++; // MirrorPublishError or a broker outage: the same id again
            await sleep(50);
          }
        }
        await sleep(intervalMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.client.close();
  }
}

export async function cutOverRun(from: Broker, to: Broker, options: { dwellMs: number; intervalMs: number; deadlineMs: number }): Promise<CutOverResult> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  const topic = uniqueName(`cut-${from}-${to}`);
  const group = uniqueName('app');
  const a: BrokerSetup = setup(from, { prefix: topic });
  const b: BrokerSetup = setup(to, { prefix: topic });
  const keyPrefix = `ferry-cut-over:${randomBytes(4).toString('hex')}:`;
  const store = new RedisIdempotencyStore({ url: storesFromEnv().redis.url, keyPrefix });
  const effects = new Effects();
  const counters = { published: [] as string[], retries: 0, next: 0 };
  const steps: CutOverStep[] = [];
  const mark = (step: string) => steps.push({ step, atSeconds: seconds(), published: counters.published.length, effects: effects.effects.size });
  const onlyA: Target = { urls: [a.url], options: [a.options] };
  const onlyB: Target = { urls: [b.url], options: [b.options] };
  const both: Target = { urls: [a.url, b.url], options: [a.options, b.options] };
  const clientFor = (target: Target, extra: ClientOptions) =>
    target.urls.length === 1
      ? createClient(target.urls[0]!, { ...extra, transport: target.options[0] })
      : createClient([target.urls[0]!, target.urls[1]!], { ...extra, transport: [target.options[0]!, target.options[1]!] });
  // The producers declare the consumers' group: queue brokers keep messages for it from the first publish.
  const producerOptions: ClientOptions = { topics: { [topic]: { groups: [group] } } };
  const startProducer = async (target: Target, i: number) => new ProducerInstance(await clientFor(target, producerOptions), topic, `p${i}-${randomBytes(2).toString('hex')}`, counters).start(options.intervalMs);
  const startConsumer = async (target: Target) => {
    const client = await clientFor(target, { idempotencyStore: store });
    await effects.consume(client, { topic, group, store, concurrency: 16 });
    return client;
  };
  const producers: ProducerInstance[] = [];
  const consumers: Client[] = [];
  /** A rolling restart: each instance in turn stops and comes back with the new URLs. */
  const rollConsumers = async (target: Target) => {
    for (let i = 0; i < consumers.length; i++) {
      await consumers[i]!.close();
      consumers[i] = await startConsumer(target);
    }
  };
  const rollProducers = async (target: Target) => {
    for (let i = 0; i < producers.length; i++) {
      await producers[i]!.stop();
      producers[i] = await startProducer(target, i);
    }
  };
  try {
    mark('1. on A');
    for (let i = 0; i < 2; i++) consumers.push(await startConsumer(onlyA));
    for (let i = 0; i < 2; i++) producers.push(await startProducer(onlyA, i));
    await sleep(options.dwellMs);
    mark('2. consumers read A and B');
    await rollConsumers(both);
    await sleep(options.dwellMs);
    mark('3. producers publish to A and B (mirror)');
    await rollProducers(both);
    await sleep(options.dwellMs);
    mark('4. producers publish to B only');
    await rollProducers(onlyB);
    await sleep(options.dwellMs);
    mark('5. A drained');
    // What A holds for the group is read by the consumers, still on both: wait until every
    // message published before step 4 has had its effect (an operator reads A's lag instead).
    const beforeB = counters.published.slice(0, steps[3]!.published);
    const deadline = Date.now() + options.deadlineMs;
    while (beforeB.some((id) => !effects.effects.has(id)) && Date.now() < deadline) await sleep(100);
    mark('6. consumers read B only; A retired');
    await rollConsumers(onlyB);
    await sleep(options.dwellMs);
    await Promise.all(producers.map((p) => p.stop()));
    mark('producers stopped');
    while (counters.published.some((id) => !effects.effects.has(id)) && Date.now() < deadline) await sleep(100);
    await sleep(1_000); // late duplicates would land meanwhile
    mark('all effects');
    await Promise.all(consumers.map((c) => c.close()));
    consumers.length = 0;
    const tally = effects.tally(counters.published);

    // Nothing may be left on A for the group: a bridge of the group from A finds nothing.
    const fromA = await createClient(a.url, { transport: a.options });
    const sink = await createClient('memory://cut-over-final-pass');
    const final = await (await bridge({ from: fromA, to: sink, topics: [topic], group, idleMs: from === 'kafka' ? 10_000 : 4_000 })).done;
    await Promise.all([fromA.close(), sink.close()]);
    return {
      direction: `${from} → ${to}`,
      published: counters.published.length,
      publishRetries: counters.retries,
      lost: tally.lost,
      duplicatedDeliveries: tally.duplicatedDeliveries,
      duplicateEffects: tally.duplicateEffects,
      leftOnA: final.copied,
      steps,
      seconds: seconds(),
    };
  } finally {
    await Promise.allSettled([...producers.map((p) => p.stop()), ...consumers.map((c) => c.close())]);
    await store.close();
    await Promise.allSettled([dropRedisPrefix(keyPrefix), cleanup(from, topic), cleanup(to, topic)]);
  }
}
