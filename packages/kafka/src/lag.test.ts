import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DriverAdmin } from './driver.ts';
import { GroupLag, LAG_CACHE_MS } from './lag.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function fakeAdmin(committed: Record<number, string>, ends: Record<number, { high: string; low: string }>) {
  const calls = { offsets: 0, ends: 0 };
  const admin = {
    fetchOffsets: async () => {
      calls.offsets++;
      return [{ topic: 'orders', partitions: Object.entries(committed).map(([p, offset]) => ({ partition: Number(p), offset, metadata: null })) }];
    },
    fetchTopicOffsets: async () => {
      calls.ends++;
      return Object.entries(ends).map(([p, e]) => ({ partition: Number(p), offset: e.high, ...e }));
    },
  } as unknown as DriverAdmin;
  return { admin, calls };
}

describe('GroupLag', () => {
  it("sums end minus committed over this member's partitions only, from the log start where nothing is committed", async () => {
    const { admin } = fakeAdmin({ 0: '10', 1: '-1', 2: '0' }, { 0: { high: '15', low: '0' }, 1: { high: '9', low: '4' }, 2: { high: '100', low: '0' } });
    const lag = new GroupLag(async () => admin, 'g', () => ({ orders: [0, 1] }));
    expect(await lag.messages()).toBe(5 + 5);
  });

  it('measures at most once per cache interval, and nothing without an assignment', async () => {
    const { admin, calls } = fakeAdmin({ 0: '1' }, { 0: { high: '3', low: '0' } });
    let assigned: Record<string, number[]> = {};
    const lag = new GroupLag(async () => admin, 'g', () => assigned);
    expect(await lag.messages()).toBe(0);
    expect(calls.offsets).toBe(0);
    vi.advanceTimersByTime(LAG_CACHE_MS);
    assigned = { orders: [0] };
    await Promise.all([lag.messages(), lag.messages()]);
    expect(await lag.messages()).toBe(2);
    expect(calls).toEqual({ offsets: 1, ends: 1 });
    vi.advanceTimersByTime(LAG_CACHE_MS);
    await lag.messages();
    expect(calls).toEqual({ offsets: 2, ends: 2 });
  });
});
