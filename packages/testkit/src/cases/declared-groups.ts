import { expect } from 'vitest';
import { expectCapabilityError } from '../assertions.ts';
import type { CaseGroupFactory, ConformanceCase } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { range, sleep, waitFor } from '../wait.ts';

const COUNT = 50;

/**
 * Messages published before a group's consumer first starts, the same rule on every transport:
 * a message is kept for every group declared for its topic (the client option `topics`, or a
 * consumer of the group having started) when it is published; a publish to a topic no group is
 * declared for is kept (it reaches the first group that starts) or refused with FERRY_NO_GROUP,
 * never accepted and dropped.
 */
export const declaredGroupCases: CaseGroupFactory = (info) => {
  const cases: ConformanceCase[] = [
    {
      id: 'declared-groups',
      name: `${COUNT} messages published before the consumers of the ${info.capabilities.fanOut ? 'two groups' : 'group'} declared for the topic (client option \`topics\`) first start reach ${info.capabilities.fanOut ? 'each group' : 'it'}`,
      run: declaredGroups,
    },
    { id: 'no-group', name: `a publish to a topic with no group declared either resolves and its ${COUNT} messages reach the first group that starts, or rejects with FERRY_NO_GROUP naming the option: never resolves and disappears`, run: noGroup },
  ];
  if (!info.capabilities.fanOut) {
    cases.push({
      id: 'refuse-declared-fan-out',
      name: 'refuses two groups declared for one topic at client creation (capabilities.fanOut is false)',
      run: async (env) => {
        const error = await expectCapabilityError(() => env.client({ topics: { [env.topic()]: { groups: [env.group('a'), env.group('b')] } } }), env.transportName, /fan-?out/i);
        expect(error.message).toContain('topics.');
      },
    });
  }
  return { title: 'messages published before a group exists', cases };
};

async function declaredGroups(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = itemMessage(topic);
  const groups = env.capabilities.fanOut ? [env.group('first'), env.group('second')] : [env.group('only')];
  const producer = (await env.client({ topics: { [topic]: { groups } } })).producer();
  const ids: string[] = [];
  for (const n of range(0, COUNT)) ids.push(await producer.publish(message, { n }, { key: `key-${n % 8}` }));
  // The consumers start only now, each in a "process" of its own.
  const collectors = groups.map(() => new Collector());
  for (const [i, group] of groups.entries()) await env.consume(await env.client(), { group, retry: env.retry(3) }, message, collectors[i]!.handler(group));
  await waitFor(
    () => collectors.every((c) => c.unique >= COUNT),
    env.ms(15_000),
    () => collectors.map((c, i) => `${groups[i]}: ${c.summary(ids)}`).join('; '),
  );
  await sleep(env.ms(200));
  for (const c of collectors) {
    expect(c.missing(ids)).toEqual([]);
    expect(c.duplicates()).toEqual([]);
  }
}

async function noGroup(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = itemMessage(topic);
  const producer = (await env.client()).producer();
  const outcomes = await Promise.allSettled(range(0, COUNT).map((n) => producer.publish(message, { n })));
  const sent = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { code?: string; message?: string }] : []));
  // One rule per transport: all kept, or all refused.
  expect([sent.length, refused.length].sort(), `sent ${sent.length}, refused ${refused.length}`).toEqual([0, COUNT]);
  if (refused.length > 0) {
    for (const error of refused) expect(error.code, error.message).toBe('FERRY_NO_GROUP');
    expect(refused[0]!.message).toContain(topic);
    expect(refused[0]!.message).toContain('topics');
    // Refused means refused: the first group that starts finds nothing of them.
    const late = new Collector();
    await env.consume(await env.client(), { group: env.group('late'), retry: env.retry(3) }, message, late.handler('late'));
    const after = await producer.publish(message, { n: COUNT });
    await waitFor(() => late.has(after), env.ms(15_000), () => `the message published after the group started: ${late.summary([after])}`);
    expect(late.all.map((r) => r.n)).toEqual([COUNT]);
    return;
  }
  const first = new Collector();
  await env.consume(await env.client(), { group: env.group('first'), retry: env.retry(3) }, message, first.handler('first'));
  await waitFor(() => first.unique >= COUNT, env.ms(15_000), () => `messages published before any group, at the first group: ${first.summary(sent)}`);
  expect(first.missing(sent)).toEqual([]);
}
