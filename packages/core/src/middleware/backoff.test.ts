import { describe, expect, it } from 'vitest';
import { retrySchema } from '../config/consumer-options.ts';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const policy = retrySchema.parse({ attempts: 10, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0 });

  it('grows exponentially from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('takes up to the jitter fraction off at random', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(400);
    expect(backoffDelay(jittered, 3, () => 1)).toBe(200);
    expect(backoffDelay(jittered, 3, () => 0.5)).toBe(300);
  });
});
