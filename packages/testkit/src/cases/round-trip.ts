import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { inParallel, range, sleep, waitFor } from '../wait.ts';

const PUBLISHERS = 50;
const PUBLISHER_CLIENTS = 5;
const CONSUMERS = 10;

/** Watermill's TestPublishSubscribe and TestConsumerGroups at scale, plus topic isolation. */
export const roundTripCases: CaseGroupFactory = (info) => {
  const total = info.options.messageCount?.roundTrip ?? 5000;
  return {
    title: 'round trip',
    cases: [
      {
        id: 'round-trip',
        name: `${total} messages from ${PUBLISHERS} concurrent publishers all reach ${CONSUMERS} consumers of one group, with their contents`,
        timeoutMs: 60_000,
        run: (env) => roundTrip(env, total, 'at-least-once'),
      },
      {
        id: 'round-trip-eo',
        name: `exactly-once: ${total} messages through ${CONSUMERS} consumers, each with its own instance of the store, have exactly one effect each`,
        timeoutMs: 60_000,
        perStore: true,
        run: (env) => roundTrip(env, total, 'exactly-once'),
      },
      {
        id: 'topics',
        name: 'ten topics at once: each consumer gets exactly its own topic’s messages',
        run: manyTopics,
      },
    ],
  };
};

async function roundTrip(env: CaseEnv, total: number, delivery: 'at-least-once' | 'exactly-once'): Promise<void> {
  const message = itemMessage(env.topic());
  const group = env.group();
  const effects = new Collector();
  await Promise.all(
    range(0, CONSUMERS).map(async (i) =>
      env.consume(
        await env.client(),
        { group, delivery, concurrency: 8, retry: env.retry(3), ...(delivery === 'exactly-once' ? { idempotency: { store: await env.store() } } : {}) },
        message,
        effects.handler(`consumer-${i}`),
      ),
    ),
  );
  const producers = await Promise.all(range(0, PUBLISHER_CLIENTS).map(async () => (await env.client()).producer()));

  const published = new Map<string, number>();
  await inParallel(range(0, PUBLISHERS), PUBLISHERS, async (p) => {
    const producer = producers[p % PUBLISHER_CLIENTS]!;
    for (let n = p; n < total; n += PUBLISHERS) published.set(await producer.publish(message, { n, tag: `publisher-${p}` }), n);
  });
  expect(published.size).toBe(total);
  const ids = [...published.keys()];

  await waitFor(() => ids.every((id) => effects.has(id)), env.ms(40_000), () => effects.summary(ids));
  await sleep(env.ms(200)); // late duplicates would show up here
  expect(effects.missing(ids)).toEqual([]);
  const wrongContent = effects.all.filter((r) => published.get(r.id) !== r.n || r.tag !== `publisher-${r.n % PUBLISHERS}`);
  expect(wrongContent).toEqual([]);
  expect(effects.unique).toBe(total); // nothing that was not published
  if (delivery === 'exactly-once') expect(effects.duplicates()).toEqual([]);
  // Work went to more than one consumer of the group.
  expect(effects.byConsumer().size).toBeGreaterThan(1);
}

async function manyTopics(env: CaseEnv): Promise<void> {
  const TOPICS = 10;
  const PER_TOPIC = 50;
  const messages = range(0, TOPICS).map((t) => itemMessage(env.topic(`t${t}`)));
  const collectors = messages.map(() => new Collector());
  await Promise.all(messages.map(async (m, t) => env.consume(await env.client(), { group: env.group(), concurrency: 4, retry: env.retry(3) }, m, collectors[t]!.handler(`topic-${t}`))));

  const producer = (await env.client()).producer();
  const published = messages.map(() => new Map<string, number>());
  // Interleaved: every topic's publishes run at once.
  await Promise.all(
    messages.map(async (m, t) => {
      for (let n = 0; n < PER_TOPIC; n++) published[t]!.set(await producer.publish(m, { n, tag: m.topic }), n);
    }),
  );
  const done = () => collectors.every((c, t) => [...published[t]!.keys()].every((id) => c.has(id)));
  await waitFor(done, env.ms(15_000), () => collectors.map((c, t) => `topic ${t}: ${c.summary([...published[t]!.keys()])}`).join('\n'));
  await sleep(env.ms(200));
  for (const [t, c] of collectors.entries()) {
    const topic = messages[t]!.topic;
    expect(c.all.filter((r) => r.topic !== topic || r.tag !== topic), `topic ${t} got foreign messages`).toEqual([]);
    expect(new Set(c.all.map((r) => r.id))).toEqual(new Set(published[t]!.keys()));
    expect(c.all.map((r) => r.n).sort((a, b) => a - b)).toEqual(range(0, PER_TOPIC));
  }
}
