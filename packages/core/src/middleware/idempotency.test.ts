import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import type { IdempotencyStore } from '../idempotency/store.ts';
import { idempotency, KeyInProgressError, LeaseLostError } from './idempotency.ts';
import { fakeContext } from './test-context.ts';
import type { HandlerFn } from './types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lease = { leaseMs: 60_000, ttlMs: 60_000 };

/** Runs the step as the loop does: the chain, then (when it succeeded) the onCommit callbacks. */
async function run(handler: HandlerFn, ctx: ReturnType<typeof fakeContext>): Promise<void> {
  await handler(ctx);
  for (const commit of ctx.commits) await commit();
}

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
    await Promise.all([run(handler, a), run(handler, b)]);
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
    for (const group of ['a', 'b']) await run(mw(async () => void effects++), fakeContext({ id: 'x', group }));
    expect(effects).toBe(2);
  });

  it('refuses a message without an id (copies could not be told apart) without retry', async () => {
    const mw = idempotency({ store: new MemoryIdempotencyStore(), ttlMs: 60_000, leaseMs: 60_000 });
    let ran = false;
    const error = await mw(async () => void (ran = true))(fakeContext({ id: '' })).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toMatchObject({ kind: 'no-id' });
    expect(String((error as Error).message)).toMatch(/has no id.*message-id/);
  });

  it('keeps a slow handler\'s lease alive past leaseMs, so a copy meanwhile waits and then sees it completed', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60, pollMs: 5 });
    let effects = 0;
    const handler = mw(async () => {
      await sleep(250); // four leases long
      effects++;
    });
    const first = run(handler, fakeContext({ id: 'slow' }));
    await sleep(150);
    const copy = fakeContext({ id: 'slow' });
    await Promise.all([first, run(handler, copy)]);
    expect(effects).toBe(1);
    expect(copy.outcome?.kind).toBe('duplicate');
  });

  it('a copy waiting for a live twin gives up retryably when its own attempt is aborted', async () => {
    const store = new MemoryIdempotencyStore();
    await store.claim('g:busy', 'other', lease);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const error = await idempotency({ store, ttlMs: 60_000, leaseMs: 60_000, pollMs: 5 })(async () => undefined)(fakeContext({ id: 'busy', signal: abort.signal })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyInProgressError);
  });

  it('dead-letters a message claimed more than maxClaims times by holders that vanished', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 20, maxClaims: 2 });
    // Two attempts that never end and never renew (their process died): simulated by claims whose leases lapse.
    await store.claim('g:crash', 'p1', { leaseMs: 20, ttlMs: 60_000 });
    await sleep(30);
    await store.claim('g:crash', 'p2', { leaseMs: 20, ttlMs: 60_000 });
    await sleep(30);
    let ran = false;
    const error = await mw(async () => void (ran = true))(fakeContext({ id: 'crash' })).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toMatchObject({ kind: 'crash-loop' });
    expect(String((error as Error).message)).toMatch(/claimed 2 times.*maxClaims \(2\)/);
    // Given up for a redrive: the next claim starts again.
    expect(await store.claim('g:crash', 'p3', lease)).toEqual({ state: 'claimed', claims: 1 });
  });

  it('an attempt whose lease was taken over cannot complete: it fails retryably and leaves the key to the new holder', async () => {
    const inner = new MemoryIdempotencyStore();
    // A store whose renewals are lost (a partition): the lease runs out while the handler runs.
    const store: IdempotencyStore = { claim: (k, t, l) => inner.claim(k, t, l), extend: async () => false, complete: (k, t, ttl) => inner.complete(k, t, ttl), release: (k, t) => inner.release(k, t) };
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 30 });
    const ctx = fakeContext({ id: 'fenced' });
    const error = await run(mw(async () => {
      await sleep(60);
      expect(await inner.claim('g:fenced', 'new-holder', { leaseMs: 60_000, ttlMs: 60_000 })).toMatchObject({ state: 'claimed' });
    }), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(await inner.complete('g:fenced', 'new-holder', 60_000)).toBe(true);
  });

  it('an onCommit completion that is fenced fails, so the loop does not ack as if it had recorded it', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000 });
    const ctx = fakeContext({ id: 'late' });
    await mw(async () => {
      await store.release('g:late', 'unknown'); // no effect: wrong token
    })(ctx);
    // Someone else took the key over between the handler and the commit (its lease ran out meanwhile).
    const [entryToken] = [...(store as unknown as { entries: Map<string, { token: string; leaseUntil: number }> }).entries.values()];
    entryToken!.leaseUntil = 0;
    await store.claim('g:late', 'thief', lease);
    await expect(ctx.commits[0]!()).rejects.toBeInstanceOf(LeaseLostError);
  });
});

describe('idempotency middleware, abandoned attempts', () => {
  it('keeps the claim of an attempt the loop gave up on until its handler ends, then completes it', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000, pollMs: 2 });
    const abort = new AbortController();
    let finish!: () => void;
    let effects = 0;
    const first = mw(() => new Promise<void>((resolve) => (finish = resolve)).then(() => void effects++))(fakeContext({ id: 'stuck', signal: abort.signal }));
    await sleep(1);
    abort.abort(); // handler timeout: the loop retries the message
    // The retry waits for the first attempt instead of running beside it.
    const retry = fakeContext({ id: 'stuck' });
    const second = run(mw(async () => void effects++), retry);
    await sleep(20);
    expect(effects).toBe(0);
    finish();
    await first;
    await second;
    expect(effects).toBe(1);
    expect(retry.outcome?.kind).toBe('duplicate');
  });

  it("asks core's context whether it was abandoned instead of making its AbortController (one per message is costly)", async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000 });
    const ctx = fakeContext({ id: 'cheap' });
    let made = 0;
    Object.defineProperty(ctx, 'abandoned', { get: () => false });
    Object.defineProperty(ctx, 'signal', { get: () => (made++, new AbortController().signal) });
    await run(mw(async () => undefined), ctx);
    expect(made).toBe(0);
    expect(ctx.commits).toHaveLength(1);
  });

  it('releases the claim when the abandoned attempt then fails, so the retry runs', async () => {
    const store = new MemoryIdempotencyStore();
    const mw = idempotency({ store, ttlMs: 60_000, leaseMs: 60_000, pollMs: 2 });
    const abort = new AbortController();
    let fail!: () => void;
    const first = mw(() => new Promise<void>((_, reject) => (fail = () => reject(new Error('gave up')))))(fakeContext({ id: 'stuck2', signal: abort.signal })).catch(() => undefined);
    await sleep(1);
    abort.abort();
    let ran = false;
    const second = run(mw(async () => void (ran = true)), fakeContext({ id: 'stuck2' }));
    await sleep(10);
    expect(ran).toBe(false);
    fail();
    await first;
    await second;
    expect(ran).toBe(true);
  });
});
