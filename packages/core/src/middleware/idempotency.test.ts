import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import { idempotency } from './idempotency.ts';
import { fakeContext } from './test-context.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idempotency middleware', () => {
  it('gives two copies arriving at once one effect', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000, pollMs: 2 });
    let effects = 0;
    const handler = mw(async () => {
      await sleep(10);
      effects++;
    });
    const a = fakeContext({ id: 'same' });
    const b = fakeContext({ id: 'same' });
    // The loop runs onCommit callbacks when the outcome is durable; do it as the loop would.
    await Promise.all([a, b].map(async (ctx) => {
      await handler(ctx);
      for (const commit of ctx.commits) await commit();
    }));
    expect(effects).toBe(1);
    expect([a.outcome?.kind, b.outcome?.kind].sort()).toEqual(['duplicate', undefined].sort());
  });

  it('releases the key when the handler fails, so the retry runs', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000 });
    await expect(mw(async () => { throw new Error('x'); })(fakeContext({ id: 'k' }))).rejects.toThrow('x');
    let ran = false;
    await mw(async () => void (ran = true))(fakeContext({ id: 'k' }));
    expect(ran).toBe(true);
  });

  it('scopes keys by group', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000 });
    let effects = 0;
    for (const group of ['a', 'b']) {
      const ctx = fakeContext({ id: 'x', group });
      await mw(async () => void effects++)(ctx);
      for (const commit of ctx.commits) await commit();
    }
    expect(effects).toBe(2);
  });
});

describe('idempotency middleware, abandoned attempts', () => {
  it('releases the key when the attempt is abandoned, so a redelivery runs at once', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000 });
    const abort = new AbortController();
    void mw(() => new Promise(() => undefined))(fakeContext({ id: 'stuck', signal: abort.signal }));
    await sleep(1);
    expect(await store.claim('g:stuck', 60_000)).toBe('in-progress');
    abort.abort();
    await sleep(1);
    expect(await store.claim('g:stuck', 60_000)).toBe('claimed');
  });
});
