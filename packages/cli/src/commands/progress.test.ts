import { describe, expect, it } from 'vitest';
import { Progress } from './progress.ts';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (text: string) => writes.push(text) };
}

describe('Progress', () => {
  it('rewrites one line on a terminal, writes plain lines when piped', async () => {
    const tty = stream(true);
    const piped = stream(false);
    const a = new Progress('published', tty, { intervalMs: 10 });
    const b = new Progress('published', piped, { intervalMs: 10, pipedIntervalMs: 30 });
    a.add(5);
    b.add(5);
    await new Promise((r) => setTimeout(r, 120));
    expect(a.finish()).toMatch(/^published 5 \(\d+ msg\/s, \d+\.\d s\)$/);
    b.finish();
    expect(tty.writes.length).toBeGreaterThan(1);
    expect(tty.writes.every((w) => w.startsWith('\r\x1b[K'))).toBe(true);
    expect(piped.writes.length).toBeGreaterThan(0);
    expect(piped.writes.every((w) => /^published 5 .*\n$/.test(w))).toBe(true);
  });
});
