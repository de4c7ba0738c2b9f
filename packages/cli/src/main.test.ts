import { describe as suite, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, NonRetryableError } from '@ferry/core';
import { main } from './main.ts';

function capture() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => void lines.push(line) };
}

suite('ferry CLI', () => {
  it('prints the capabilities of the transport behind a URL', async () => {
    const out = capture();
    expect(await main(['capabilities', 'memory://cli-caps'], out.sink)).toBe(0);
    expect(out.lines[0]).toMatch(/^memory /);
    expect(out.lines.join('\n')).toMatch(/replay\s+earliest, offset, timestamp/);
  });

  it('redrives dead letters back to their topic', async () => {
    const Job = defineMessage('cli.job', z.object({ n: z.number() }), { topic: `cli-jobs-${Date.now()}` });
    const client = await createClient('memory://cli-redrive');
    let fail = true;
    const handled: number[] = [];
    const consumer = client.consumer({ group: 'workers' }).handle(Job, async (job) => {
      if (fail) throw new NonRetryableError('downstream rejected');
      handled.push(job.n);
    });
    await consumer.start();
    await client.producer().publishBatch([1, 2, 3].map((n) => ({ message: Job, payload: { n } })));
    // All three dead-lettered before the redrive starts (the consumer dead-letters one at a time).
    for (let i = 0; i < 100; i++) {
      const found = await client.inspectDeadLetters({ deadLetterTopic: `${Job.topic}.dlq`, idleMs: 20 }).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)));
      if (found?.deadLetters.length === 3) break;
    }
    fail = false;
    const out = capture();
    expect(await main(['redrive', 'memory://cli-redrive', `${Job.topic}.dlq`, '--idle-ms', '200'], out.sink)).toBe(0);
    expect(out.lines).toEqual([`redriven 3, left 0, from ${Job.topic}.dlq`]);
    for (let i = 0; i < 50 && handled.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(handled.sort()).toEqual([1, 2, 3]);
    await client.close();
  });

  it('explains bad input with exit code 2 and config errors with 1', async () => {
    const err = capture();
    expect(await main(['frobnicate'], () => undefined, err.sink)).toBe(2);
    expect(err.lines[0]).toMatch(/Unknown or incomplete command/);
    expect(await main(['redrive', 'memory://x', 't', '--limit', 'ten'], () => undefined, err.sink)).toBe(1);
    expect(err.lines.at(-1)).toMatch(/--limit must be a whole number/);
    expect(await main(['capabilities', 'nats://u:secret@h'], () => undefined, err.sink)).toBe(1);
    expect(err.lines.at(-1)).not.toContain('secret');
  });
});
