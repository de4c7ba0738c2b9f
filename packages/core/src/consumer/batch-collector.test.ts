import { describe, expect, it } from 'vitest';
import { fakeContext } from '../middleware/test-context.ts';
import { BatchCollector, type BatchItem } from './batch-collector.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BatchCollector', () => {
  it('calls the handler once a batch is full, and with what it has after maxWaitMs', async () => {
    const calls: number[] = [];
    const collector = new BatchCollector((items) => void calls.push(items.length), { maxSize: 3, maxWaitMs: 30 }, 't');
    const full = [1, 2, 3].map((n) => collector.add(fakeContext({ id: `a${n}`, payload: n })));
    await Promise.all(full);
    expect(calls).toEqual([3]);
    const late = collector.add(fakeContext({ id: 'b1', payload: 4 }));
    await sleep(5);
    expect(calls).toEqual([3]);
    await late;
    expect(calls).toEqual([3, 1]);
  });

  it('rejects only the items the handler marks failed, each with its own error; a throw rejects all', async () => {
    const collector = new BatchCollector(
      (items: BatchItem[]) => ({ failed: items.filter((i) => i.payload === 2).map((item) => ({ item, error: new Error('two') })) }),
      { maxSize: 3, maxWaitMs: 10 },
      't',
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => collector.add(fakeContext({ id: `x${n}`, payload: n }))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toBe('Error: two');
    const throwing = new BatchCollector(() => {
      throw new Error('all');
    }, { maxSize: 2 }, 't');
    const all = await Promise.allSettled([1, 2].map((n) => throwing.add(fakeContext({ id: `y${n}`, payload: n }))));
    expect(all.every((o) => o.status === 'rejected')).toBe(true);
  });

  it('refuses a maxSize or maxWaitMs out of range, naming the option', () => {
    expect(() => new BatchCollector(() => undefined, { maxSize: 0 }, 'order.placed')).toThrow(/handleBatch\(order\.placed\)\.maxSize/);
    expect(() => new BatchCollector(() => undefined, { maxWaitMs: -1 }, 'order.placed')).toThrow(/handleBatch\(order\.placed\)\.maxWaitMs/);
  });
});
