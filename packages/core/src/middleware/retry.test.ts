import { describe, expect, it } from 'vitest';
import { retrySchema } from '../config/consumer-options.ts';
import { NonRetryableError } from '../errors.ts';
import { retry } from './retry.ts';
import { fakeContext } from './test-context.ts';

const policy = retrySchema.parse({ attempts: 3, initialDelayMs: 100, jitter: 0 });
const failing = async () => {
  throw new Error('flaky');
};

describe('retry middleware', () => {
  it('turns a failure into a delayed retry while attempts remain', async () => {
    const ctx = fakeContext({ attempt: 2 });
    await retry(policy)(failing)(ctx);
    expect(ctx.outcome).toMatchObject({ kind: 'retry', delayMs: 200 });
  });

  it('lets the error through on the last attempt', async () => {
    await expect(retry(policy)(failing)(fakeContext({ attempt: 3 }))).rejects.toThrow('flaky');
  });

  it('never retries a NonRetryableError, also when wrapped as a cause', async () => {
    const wrapped = async () => {
      throw new Error('outer', { cause: new NonRetryableError('bad input') });
    };
    await expect(retry(policy)(wrapped)(fakeContext())).rejects.toThrow('outer');
  });

  it('leaves a success alone', async () => {
    const ctx = fakeContext();
    await retry(policy)(async () => undefined)(ctx);
    expect(ctx.outcome).toBeUndefined();
  });
});
