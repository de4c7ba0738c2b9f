import { describe, expect, it } from 'vitest';
import { tracing } from './tracing.ts';
import { fakeContext } from './test-context.ts';

describe('tracing middleware', () => {
  it('ends the span with the error of a failed attempt, or none on success', async () => {
    const ended: unknown[] = [];
    const mw = tracing({ start: () => ({ end: (e) => void ended.push(e ?? 'ok') }) });
    await mw(async () => undefined)(fakeContext());
    await expect(mw(async () => { throw new Error('bad'); })(fakeContext())).rejects.toThrow('bad');
    expect(ended[0]).toBe('ok');
    expect((ended[1] as Error).message).toBe('bad');
  });
});
