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
});
