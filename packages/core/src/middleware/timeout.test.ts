import { describe, expect, it } from 'vitest';
import { HandlerTimeoutError, timeout } from './timeout.ts';
import { fakeContext } from './test-context.ts';

describe('timeout middleware', () => {
  it('fails a slow attempt (retryable) and signals the handler', async () => {
    let signalled = false;
    const mw = timeout(20, () => void (signalled = true));
    await expect(mw(() => new Promise((r) => setTimeout(r, 500)))(fakeContext())).rejects.toBeInstanceOf(HandlerTimeoutError);
    expect(signalled).toBe(true);
  });

  it('passes a fast attempt', async () => {
    await timeout(200, () => undefined)(async () => undefined)(fakeContext());
  });

  it('times out the one slow attempt among thousands of fast ones that started after it, and only that one', async () => {
    const timedOut: unknown[] = [];
    const mw = timeout(40, (ctx) => timedOut.push(ctx));
    const slowCtx = fakeContext();
    const slow = mw(() => new Promise(() => undefined))(slowCtx).then(() => 'passed', (e: unknown) => e);
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 2000 }, () => mw(async () => undefined)(fakeContext())));
      await new Promise((r) => setTimeout(r, 5));
    }
    // A fast attempt running while the slow one times out is not touched either.
    const late = mw(() => new Promise<void>((r) => setTimeout(r, 30)))(fakeContext());
    expect(await slow).toBeInstanceOf(HandlerTimeoutError);
    await late;
    expect(timedOut).toEqual([slowCtx]);
  });
});
