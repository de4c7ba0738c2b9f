import { describe, expect, it } from 'vitest';
import { Progress } from './dlq-progress.ts';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (text: string) => void writes.push(text) };
}

describe('redrive progress', () => {
  it('rewrites one line with count and rate on a terminal, and clears it at the end', () => {
    let now = 0;
    const tty = stream(true);
    const progress = new Progress(tty, 'redriven', () => now);
    now = 100;
    progress.update(10, 0); // too soon
    now = 1000;
    progress.update(500, 2);
    now = 2000;
    progress.update(1000, 3);
    progress.done();
    expect(tty.writes).toEqual(['\r\x1b[2Kredriven 500 (500/s), left 2', '\r\x1b[2Kredriven 1000 (500/s), left 3', '\r\x1b[2K']);
  });

  it('prints plain lines, at most one per 5 s, when piped', () => {
    let now = 0;
    const piped = stream(false);
    const progress = new Progress(piped, 'purged', () => now);
    now = 1000;
    progress.update(100, 0);
    now = 5000;
    progress.update(500, 0);
    progress.done();
    expect(piped.writes).toEqual(['purged 500 (100/s), left 0\n']);
  });
});
