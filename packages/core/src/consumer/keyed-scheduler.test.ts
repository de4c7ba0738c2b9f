import { describe, expect, it } from 'vitest';
import { KeyedScheduler } from './keyed-scheduler.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedScheduler', () => {
  it('never runs more than `concurrency` tasks and reaches it', async () => {
    const scheduler = new KeyedScheduler(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        scheduler.schedule(undefined, async () => {
          peak = Math.max(peak, ++running);
          await sleep(2);
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(scheduler.size).toBe(0);
  });

  it('runs tasks of one key in order, one at a time, while other keys pass', async () => {
    const scheduler = new KeyedScheduler(8);
    const seen: Record<string, number[]> = { a: [], b: [] };
    const active: Record<string, number> = { a: 0, b: 0 };
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const key = i % 3 === 0 ? 'b' : 'a';
      tasks.push(
        scheduler.schedule(key, async () => {
          expect(++active[key]!).toBe(1);
          await sleep(Math.random() * 3);
          seen[key]!.push(i);
          active[key]!--;
        }),
      );
    }
    await Promise.all(tasks);
    expect(seen.a).toEqual([...seen.a!].sort((x, y) => x - y));
    expect(seen.b).toEqual([...seen.b!].sort((x, y) => x - y));
    expect(seen.a!.length + seen.b!.length).toBe(30);
  });

  it('keeps going after a task fails and reports idle', async () => {
    const scheduler = new KeyedScheduler(1);
    const failed = scheduler.schedule('k', async () => {
      throw new Error('boom');
    });
    let ran = false;
    const next = scheduler.schedule('k', async () => {
      ran = true;
    });
    await expect(failed).rejects.toThrow('boom');
    await next;
    await scheduler.idle();
    expect(ran).toBe(true);
  });
});
