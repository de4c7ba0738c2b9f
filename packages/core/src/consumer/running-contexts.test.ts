import { describe, expect, it } from 'vitest';
import type { DeliveryContext } from './message-context.ts';
import { RunningContexts } from './running-contexts.ts';

type Fake = DeliveryContext & { name: string; aborted: boolean };
function fake(name: string): Fake {
  const ctx = { name, slot: -1, aborted: false, abort: () => void (ctx.aborted = true) };
  return ctx as unknown as Fake;
}

describe('RunningContexts', () => {
  it('aborts exactly the contexts added and not yet removed, whatever the removal order', () => {
    const running = new RunningContexts();
    const all = Array.from({ length: 8 }, (_, i) => fake(`c${i}`));
    for (const c of all) running.add(c);
    for (const i of [0, 7, 3, 4]) running.remove(all[i]!);
    running.remove(all[3]!); // twice: no effect
    expect(running.size).toBe(4);
    running.abortAll();
    expect(all.filter((c) => c.aborted).map((c) => c.name).sort()).toEqual(['c1', 'c2', 'c5', 'c6']);
  });
});
