import { randomUUID } from 'node:crypto';
import type { IdempotencyStore } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from './wait.ts';

export interface StoreContractOptions {
  /** Names the describe block. */
  readonly name: string;
  /**
   * A NEW store instance on the same backing database each call, like another process (its own
   * connection). The contract closes what it creates.
   */
  createStore(): IdempotencyStore | Promise<IdempotencyStore>;
  /** Lease used by the expiry cases, in ms. Default 300 (a store with a coarser clock may need more). */
  readonly leaseMs?: number;
}

/**
 * The IdempotencyStore contract (packages/core/src/idempotency/store.ts) as vitest cases: every
 * store implementation runs these against its real backend. Keys are random per case, so runs
 * never collide.
 */
export function runStoreContract(options: StoreContractOptions): void {
  const leaseMs = options.leaseMs ?? 300;
  const ttlMs = 60_000;
  const opened: IdempotencyStore[] = [];
  const store = async (): Promise<IdempotencyStore> => {
    const s = await options.createStore();
    opened.push(s);
    return s;
  };
  const key = (): string => `contract:${randomUUID()}`;
  const token = (): string => randomUUID();
  const lease = { leaseMs, ttlMs };
  // Cases that are not about expiry hold a lease no loaded machine outlives: with the short one, a
  // claim answered more than leaseMs after the first rightly took the key over.
  const steadyMs = 30_000;
  const steady = { leaseMs: steadyMs, ttlMs };

  describe(`idempotency store contract: ${options.name}`, () => {
    afterAll(async () => {
      await Promise.allSettled(opened.splice(0).map((s) => s.close?.()));
    });

    it('a first claim is claimed with a count of 1; a second holder meanwhile sees in-progress with the time left', async () => {
      const s = await store();
      const k = key();
      expect(await s.claim(k, token(), steady)).toEqual({ state: 'claimed', claims: 1 });
      const second = await s.claim(k, token(), steady);
      expect(second.state).toBe('in-progress');
      const left = (second as { retryInMs: number }).retryInMs;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(steadyMs);
    });

    it('of many claims at once on one key, from two instances, exactly one is claimed', async () => {
      const [a, b] = [await store(), await store()];
      const k = key();
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(k, token(), steady)));
      expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(39);
    });

    it('complete by the holder makes every later claim completed, on another instance too', async () => {
      const [a, b] = [await store(), await store()];
      const k = key();
      const t = token();
      await a.claim(k, t, lease);
      expect(await a.complete(k, t, ttlMs)).toBe(true);
      expect(await b.claim(k, token(), lease)).toEqual({ state: 'completed' });
      expect(await a.claim(k, t, lease)).toEqual({ state: 'completed' });
    });

    it('complete, extend and release by another token change nothing (fencing)', async () => {
      const s = await store();
      const k = key();
      const holder = token();
      await s.claim(k, holder, steady);
      const stranger = token();
      expect(await s.complete(k, stranger, ttlMs)).toBe(false);
      expect(await s.extend(k, stranger, steadyMs)).toBe(false);
      await s.release(k, stranger);
      expect((await s.claim(k, token(), steady)).state).toBe('in-progress');
      expect(await s.complete(k, holder, ttlMs)).toBe(true);
    });

    it('release lets the next claim run at once, with the count back at 1', async () => {
      const s = await store();
      const k = key();
      const t = token();
      await s.claim(k, t, steady);
      await s.release(k, t);
      expect(await s.claim(k, token(), steady)).toEqual({ state: 'claimed', claims: 1 });
    });

    it('an expired lease is taken over with the count up by one; the old holder is fenced', async () => {
      const [a, b] = [await store(), await store()];
      const k = key();
      const old = token();
      await a.claim(k, old, lease);
      await sleep(leaseMs + 150);
      const next = token();
      expect(await b.claim(k, next, lease)).toEqual({ state: 'claimed', claims: 2 });
      expect(await a.extend(k, old, leaseMs)).toBe(false);
      expect(await a.complete(k, old, ttlMs)).toBe(false);
      await a.release(k, old);
      expect((await a.claim(k, token(), lease)).state).toBe('in-progress');
      await sleep(leaseMs + 150);
      expect(await a.claim(k, token(), lease)).toEqual({ state: 'claimed', claims: 3 });
    });

    it('extend keeps a lease alive past its first expiry', async () => {
      const s = await store();
      const k = key();
      const t = token();
      await s.claim(k, t, lease);
      for (let i = 0; i < 4; i++) {
        await sleep(leaseMs / 2);
        expect(await s.extend(k, t, leaseMs)).toBe(true);
      }
      expect((await s.claim(k, token(), lease)).state).toBe('in-progress');
      expect(await s.complete(k, t, ttlMs)).toBe(true);
    });

    it('a holder whose lease ran out but was not taken over may still complete', async () => {
      const s = await store();
      const k = key();
      const t = token();
      await s.claim(k, t, lease);
      await sleep(leaseMs + 150);
      expect(await s.complete(k, t, ttlMs)).toBe(true);
      expect(await s.claim(k, token(), lease)).toEqual({ state: 'completed' });
    });

    it('a completed key is forgotten after its ttl', async () => {
      const s = await store();
      const k = key();
      const t = token();
      await s.claim(k, t, lease);
      await s.complete(k, t, leaseMs);
      expect(await s.claim(k, token(), lease)).toEqual({ state: 'completed' });
      await sleep(leaseMs + 150);
      expect(await s.claim(k, token(), lease)).toEqual({ state: 'claimed', claims: 1 });
    });

    it('keys are independent', async () => {
      const s = await store();
      const [k1, k2] = [key(), key()];
      const t = token();
      await s.claim(k1, t, steady);
      await s.complete(k1, t, ttlMs);
      expect(await s.claim(k2, token(), steady)).toEqual({ state: 'claimed', claims: 1 });
    });
  });
}
