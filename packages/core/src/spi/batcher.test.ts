import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.ts';

describe('Batcher', () => {
  it('coalesces concurrent adds into batches of at most maxItems', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>({
      maxItems: 10,
      maxBytes: 1_000_000,
      lingerMs: 5,
      maxConcurrentFlushes: 2,
      sizeOf: () => 1,
      flush: async (items) => {
        batches.push(items);
      },
    });
    await Promise.all(Array.from({ length: 35 }, (_, i) => batcher.add(i)));
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(Math.max(...batches.map((b) => b.length))).toBe(10);
    expect(batches.length).toBeLessThanOrEqual(5);
  });

  it('lets a lingering batch fill when a flush finishes, instead of sending it partial', async () => {
    const batches: number[][] = [];
    const finishes: Array<() => void> = [];
    const batcher = new Batcher<number>({
      maxItems: 10,
      maxBytes: 1_000_000,
      lingerMs: 60_000,
      maxConcurrentFlushes: 2,
      sizeOf: () => 1,
      flush: (items) => {
        batches.push(items);
        return new Promise<void>((resolve) => finishes.push(resolve));
      },
    });
    const first = Array.from({ length: 10 }, (_, i) => batcher.add(i));
    const straggler = batcher.add(10);
    finishes[0]!();
    await Promise.all(first);
    // The first flush finished while item 10 lingered: it waits for company.
    const rest = Array.from({ length: 9 }, (_, i) => batcher.add(11 + i));
    expect(batches.map((b) => b.length)).toEqual([10, 10]);
    finishes[1]!();
    await Promise.all([straggler, ...rest]);
  });

  it('splits by bytes and never exceeds maxBytes with several items', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number>({
      maxItems: 100,
      maxBytes: 100,
      lingerMs: 1,
      maxConcurrentFlushes: 1,
      sizeOf: (n) => n,
      flush: async (items) => {
        sizes.push(items.reduce((a, b) => a + b, 0));
      },
    });
    await Promise.all([40, 40, 40, 40, 40].map((n) => batcher.add(n)));
    expect(sizes.every((s) => s <= 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('fails only the items the flush reports as failed', async () => {
    const batcher = new Batcher<string>({
      maxItems: 10,
      maxBytes: 1000,
      lingerMs: 1,
      maxConcurrentFlushes: 1,
      sizeOf: () => 1,
      flush: async (items) => items.map((item) => (item === 'bad' ? new Error('rejected: bad') : undefined)),
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((x) => batcher.add(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every item of a batch whose flush throws, and drains', async () => {
    const batcher = new Batcher<number>({
      maxItems: 10,
      maxBytes: 1000,
      lingerMs: 1,
      maxConcurrentFlushes: 1,
      sizeOf: () => 1,
      flush: async () => {
        throw new Error('broker down');
      },
    });
    const results = await Promise.allSettled([1, 2].map((x) => batcher.add(x)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await batcher.drain();
  });
});
