import { describe, expect, it } from 'vitest';
import { deadLetter } from './dead-letter.ts';
import { fakeContext } from './test-context.ts';

describe('dead-letter middleware', () => {
  it('catches any error and marks the message for the dead letter', async () => {
    const ctx = fakeContext();
    const error = new Error('poison');
    await deadLetter()(async () => {
      throw error;
    })(ctx);
    expect(ctx.outcome).toEqual({ kind: 'dead-letter', error });
  });

  it('keeps an outcome set further in (a retry) untouched', async () => {
    const ctx = fakeContext();
    await deadLetter()(async (c) => {
      c.outcome = { kind: 'retry', delayMs: 5, error: null };
    })(ctx);
    expect(ctx.outcome).toMatchObject({ kind: 'retry', delayMs: 5 });
  });
});
