import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../errors.ts';
import { MemoryIdempotencyStore } from '../idempotency/memory-store.ts';
import { deliveryLimit } from './delivery-limit.ts';
import { fakeContext } from './test-context.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deliveryLimit', () => {
  it('dead-letters on the broker count past maxDeliveries, without running the handler', async () => {
    let ran = 0;
    const step = deliveryLimit({ maxDeliveries: 3, leaseMs: 1_000 })(async () => void ran++);
    await step(fakeContext({ attempt: 3 }));
    const error = await step(fakeContext({ attempt: 4 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ code: 'FERRY_MAX_DELIVERIES', kind: 'crash-loop' });
    expect(ran).toBe(1);
  });

  it('counts in the store the deliveries whose holder vanished, and dead-letters the next one', async () => {
    const store = new MemoryIdempotencyStore();
    let ran = 0;
    const step = deliveryLimit({ maxDeliveries: 2, store, leaseMs: 30 })(async () => void ran++);
    // Two deliveries whose processes died while handling: their leases were never given up.
    for (const holder of ['dead-1', 'dead-2']) {
      await store.claim('g:id-1:deliveries', holder, { leaseMs: 30, ttlMs: 60_000 });
      await sleep(40);
    }
    const error = await step(fakeContext()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FERRY_MAX_DELIVERIES' });
    expect(String((error as Error).message)).toContain('delivered 2 times');
    expect(ran).toBe(0);
  });

  it('gives the count back when the handler ends, well or not, so only vanished deliveries add up', async () => {
    const store = new MemoryIdempotencyStore();
    let fail = true;
    const step = deliveryLimit({ maxDeliveries: 1, store, leaseMs: 1_000 })(async () => {
      if (fail) throw new Error('handler failed');
    });
    await expect(step(fakeContext())).rejects.toThrow('handler failed');
    fail = false;
    await step(fakeContext());
    await step(fakeContext());
  });
});
