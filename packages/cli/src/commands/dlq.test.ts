// `ferry dlq` in process on the memory transport (the spawned CLI on every broker: integration/cli-dlq).
import { createClient, defineMessage, HEADERS, NonRetryableError, type Client } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../main.ts';
import { run } from './dlq.ts';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l), progress: { isTTY: false, write: () => undefined } } };
}

/** memory://<broker> with three dead letters in <topic>.dlq: two handler failures and undecodable bytes. */
async function seeded(): Promise<{ url: string; dlq: string }> {
  const broker = `cli-dlq-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const url = `memory://${broker}`;
  const Job = defineMessage('cli.job', z.object({ n: z.number() }), { topic: `jobs-${broker}` });
  const client = await createClient(url);
  clients.push(client);
  const consumer = client.consumer({ group: 'workers' }).handle(Job, async () => {
    throw new NonRetryableError('downstream rejected');
  });
  await consumer.start();
  await client.producer().publishBatch([1, 2].map((n) => ({ message: Job, payload: { n } })));
  await client.transport.send([{ id: 'raw-1', type: Job.type, topic: Job.topic, headers: { [HEADERS.contentType]: 'application/json' }, payload: Uint8Array.of(0xff, 0x00, 0x7b), timestamp: Date.now() }]);
  for (let i = 0; i < 100; i++) {
    const found = await client.inspectDeadLetters({ deadLetterTopic: `${Job.topic}.dlq`, idleMs: 20 }).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)));
    if (found?.deadLetters.length === 3) break;
  }
  return { url, dlq: `${Job.topic}.dlq` };
}

describe('ferry dlq (memory, in process)', () => {
  it('an unknown dead-letter topic exits 1 and says so, for every subcommand and the old redrive', async () => {
    for (const argv of [['dlq', 'list'], ['dlq', 'show'], ['dlq', 'redrive'], ['dlq', 'purge', '--yes'], ['redrive']]) {
      const err: string[] = [];
      const [command, ...rest] = argv;
      expect(await main([command!, ...rest.slice(0, 1), 'memory://cli-dlq-empty', 'orders.dlq', ...rest.slice(1), '--idle-ms', '50'], () => undefined, (l) => void err.push(l)), argv.join(' ')).toBe(1);
      expect(err.join('\n')).toMatch(/FERRY_NOT_FOUND: .*dead-letter topic `orders.dlq`/);
    }
  });

  it('lists grouped counts without consuming, shows one in full (undecodable bytes as base64), dry-runs, and purges only with consent', async () => {
    const { url, dlq } = await seeded();
    const c = capture();
    expect(await run(['list', url, dlq, '--idle-ms', '50'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/: 3 dead letters$/);
    expect(c.out.join('\n')).toMatch(/2 {2}handler: downstream rejected/);
    expect(c.out.join('\n')).toMatch(/1 {2}decode: /);

    const show = capture();
    expect(await run(['show', url, dlq, '--id', 'raw-1', '--idle-ms', '50'], show.io)).toBe(0);
    const text = show.out.join('\n');
    expect(text).toContain('payload (3 bytes, base64):');
    expect(text).toContain(Buffer.from([0xff, 0x00, 0x7b]).toString('base64'));
    expect(text).toMatch(/kind {12}decode/);

    const json = capture();
    expect(await run(['show', url, dlq, '--index', '1', '--json', '--idle-ms', '50'], json.io)).toBe(0);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ index: 1, type: 'cli.job', kind: expect.any(String) });

    const dry = capture();
    expect(await run(['redrive', url, dlq, '--reason', 'downstream', '--dry-run', '--idle-ms', '50'], dry.io)).toBe(0);
    expect(dry.out).toEqual([`dry run: would redrive 2, leave 1, in ${dlq}; nothing changed`]);

    const refused = capture();
    expect(await run(['purge', url, dlq, '--idle-ms', '50'], { ...refused.io, confirm: undefined })).toBe(2);
    expect(refused.err[0]).toMatch(/--yes/);
    const declined = capture();
    expect(await run(['purge', url, dlq, '--idle-ms', '50'], { ...declined.io, confirm: async () => false })).toBe(1);

    const after = capture();
    expect(await run(['list', url, dlq, '--json', '--idle-ms', '50'], after.io)).toBe(0);
    expect(JSON.parse(after.out[0]!).count).toBe(3);

    const purge = capture();
    expect(await run(['purge', url, dlq, '--yes', '--reason', 'decode', '--idle-ms', '50'], purge.io)).toBe(0);
    expect(purge.out).toEqual([`purged 1, left 2, from ${dlq}`]);
  });
});
