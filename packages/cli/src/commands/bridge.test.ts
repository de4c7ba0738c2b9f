import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage } from '@ferry/core';
import { run } from './bridge.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

describe('ferry bridge', () => {
  it('copies a topic from one broker to another and reports progress as JSON lines', async () => {
    const topic = `cli-bridge-${Date.now()}`;
    const Item = defineMessage('cli.item', z.object({ n: z.number() }), { topic });
    const source = await createClient('memory://cli-bridge-a');
    await source.producer().publishBatch(Array.from({ length: 100 }, (_, n) => ({ message: Item, payload: { n } })));
    const seen = new Set<string>();
    const target = await createClient('memory://cli-bridge-b');
    await target.consumer({ group: 'g' }).handle(Item, (_i, ctx) => void seen.add(ctx.envelope.id)).start();
    const { out, err, io: streams } = io();
    expect(await run(['memory://cli-bridge-a', 'memory://cli-bridge-b', topic, '--json', '--idle-ms', '200', '--interval-ms', '50'], streams)).toBe(0);
    expect(err).toEqual([]);
    const events = out.map((l) => JSON.parse(l) as { event: string; copied?: number });
    expect(events[0]).toMatchObject({ event: 'started', topics: [topic], group: 'ferry-bridge' });
    expect(events.at(-1)).toMatchObject({ event: 'stopped', copied: 100, inFlight: 0, refused: 0 });
    for (let i = 0; i < 50 && seen.size < 100; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.size).toBe(100);
    await Promise.all([source.close(), target.close()]);
  });

  it('says what is wrong: usage (exit 2), a bad option or URL (exit 1), never a password', async () => {
    const a = io();
    expect(await run(['memory://x'], a.io)).toBe(2);
    expect(a.err[0]).toMatch(/needs <from-url> <to-url> and at least one topic/);
    const b = io();
    expect(await run(['memory://x', 'memory://y', 't', '--options', '{"from": 3}'], b.io)).toBe(1);
    expect(b.err[0]).toMatch(/--options from must be a JSON object/);
    const c = io();
    expect(await run(['nats://app:hunter2@h', 'memory://y', 't'], c.io)).toBe(1);
    expect(c.err.join('\n')).not.toContain('hunter2');
    const d = io();
    expect(await run(['memory://x', 'memory://y', 't', '--batch-size', '0'], d.io)).toBe(1);
    expect(d.err[0]).toMatch(/--batch-size must be a whole number >= 1/);
  });
});
