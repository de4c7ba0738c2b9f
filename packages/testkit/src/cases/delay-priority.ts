import { expect } from 'vitest';
import { expectCapabilityError } from '../assertions.ts';
import { unlessDeclared, type CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { sleep, waitFor } from '../wait.ts';

const DELAY_MS = 400;

/** Delayed delivery and priority, where declared. */
export const delayPriorityCases: CaseGroupFactory = (info) => ({
  title: 'delay and priority',
  cases: [
    {
      id: 'delay',
      name: `delayed delivery: not before delayMs (${DELAY_MS} ms x timeoutScale), a later undelayed message is not held up behind it, and delays over capabilities.delay.maxMs are refused`,
      skip: unlessDeclared(info.capabilities.delay !== false, 'delayed delivery'),
      run: delay,
    },
    {
      id: 'priority',
      name: 'priority: messages published while the consumer was stopped arrive highest priority first (publish order within a priority); above capabilities.priority.max is refused',
      skip: unlessDeclared(info.capabilities.priority !== false, 'priority'),
      run: priority,
    },
  ],
});

async function delay(env: CaseEnv): Promise<void> {
  const cap = env.capabilities.delay;
  if (cap === false) throw new Error('unreachable: skipped without delay');
  // Scaled like every wait: on a slow broker the undelayed message alone can take longer than
  // 400 ms, which would fail "not held up behind the delayed one" for the wrong reason.
  const delayMs = Math.min(env.ms(DELAY_MS), cap.maxMs);
  const message = itemMessage(env.topic());
  const collector = new Collector();
  await env.consume(await env.client(), { group: env.group(), retry: env.retry(3), concurrency: 2 }, message, collector.handler('c'));
  const producer = (await env.client()).producer();
  const sentAt = Date.now();
  const delayedId = await producer.publish(message, { n: 1, tag: 'delayed' }, { delayMs });
  const promptId = await producer.publish(message, { n: 2, tag: 'prompt' });
  await waitFor(() => collector.has(delayedId), env.ms(delayMs + 10_000), () => `the delayed message (${collector.all.length} seen)`);
  await sleep(env.ms(100));
  const delayed = collector.all.find((r) => r.id === delayedId)!;
  const prompt = collector.all.find((r) => r.id === promptId);
  expect(prompt, 'the undelayed message').toBeDefined();
  expect(delayed.at - sentAt).toBeGreaterThanOrEqual(delayMs);
  expect(prompt!.at).toBeLessThan(delayed.at);
  expect(prompt!.at - sentAt).toBeLessThan(delayMs);
  expect(collector.all).toHaveLength(2);

  if (cap.maxMs < Number.MAX_SAFE_INTEGER) {
    await expectCapabilityError(() => producer.publish(message, { n: 3 }, { delayMs: cap.maxMs + 1 }), env.transportName, /delay/i);
  }
}

async function priority(env: CaseEnv): Promise<void> {
  const cap = env.capabilities.priority;
  if (cap === false) throw new Error('unreachable: skipped without priority');
  const message = itemMessage(env.topic());
  const group = env.group();
  // The group exists (queue-based brokers declare its queue), then stops consuming.
  const starter = await env.consume(await env.client(), { group, retry: env.retry(3) }, message, () => undefined);
  await starter.close();

  const producer = (await env.client()).producer();
  const levels = [0, Math.floor(cap.max / 2), cap.max];
  const published: Array<{ n: number; priority: number }> = [];
  for (let n = 0; n < 12; n++) {
    const p = levels[n % levels.length]!;
    await producer.publish(message, { n }, { priority: p });
    published.push({ n, priority: p });
  }
  const collector = new Collector();
  await env.consume(await env.client(), { group, retry: env.retry(3), concurrency: 1, prefetch: 1 }, message, collector.handler('c'));
  await waitFor(() => collector.all.length >= published.length, env.ms(10_000), () => `${published.length} messages (${collector.all.length})`);
  await sleep(env.ms(100));
  const expected = [...published].sort((a, b) => b.priority - a.priority || a.n - b.n).map((m) => m.n);
  expect(collector.all.map((r) => r.n)).toEqual(expected);

  await expectCapabilityError(() => producer.publish(message, { n: 99 }, { priority: cap.max + 1 }), env.transportName, /priority/i);
}
