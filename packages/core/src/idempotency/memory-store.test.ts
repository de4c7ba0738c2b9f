import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from './memory-store.ts';

// The shared contract runs in testkit (memory-store.contract.test.ts); these use a fake clock.
describe('MemoryIdempotencyStore', () => {
  const lease = { leaseMs: 100, ttlMs: 1000 };

  it('counts claims taken over from vanished holders, and starts again at 1 after a release', async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore(() => now);
    expect(await store.claim('a', 't1', lease)).toEqual({ state: 'claimed', claims: 1 });
    now = 101;
    expect(await store.claim('a', 't2', lease)).toEqual({ state: 'claimed', claims: 2 });
    now = 202;
    expect(await store.claim('a', 't3', lease)).toEqual({ state: 'claimed', claims: 3 });
    await store.release('a', 't3');
    expect(await store.claim('a', 't4', lease)).toEqual({ state: 'claimed', claims: 1 });
  });

  it('forgets records after their ttl, in progress or completed', async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore(() => now);
    await store.claim('a', 't1', lease);
    expect(await store.complete('a', 't1', 50)).toBe(true);
    now = 49;
    expect(await store.claim('a', 't2', lease)).toEqual({ state: 'completed' });
    now = 51;
    expect(await store.claim('a', 't2', lease)).toEqual({ state: 'claimed', claims: 1 });
    now = 51 + 1000;
    expect(await store.complete('a', 't2', 50)).toBe(false);
    expect(await store.claim('a', 't3', lease)).toEqual({ state: 'claimed', claims: 1 });
  });
});
