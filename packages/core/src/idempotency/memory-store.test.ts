import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from './memory-store.ts';

describe('MemoryIdempotencyStore', () => {
  it('gives one claim, then in-progress, then completed', async () => {
    const store = new MemoryIdempotencyStore();
    const [a, b] = await Promise.all([store.claim('k', 1000), store.claim('k', 1000)]);
    expect([a, b].sort()).toEqual(['claimed', 'in-progress']);
    await store.complete('k', 1000);
    expect(await store.claim('k', 1000)).toBe('completed');
  });

  it('lets a released or expired claim be taken again', async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore(() => now);
    expect(await store.claim('a', 100)).toBe('claimed');
    await store.release('a');
    expect(await store.claim('a', 100)).toBe('claimed');
    now = 101; // the holder crashed: its lease ran out
    expect(await store.claim('a', 100)).toBe('claimed');
    await store.complete('a', 50);
    now = 200;
    expect(await store.claim('a', 100)).toBe('claimed');
  });
});
