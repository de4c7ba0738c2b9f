import { describe, expect, it } from 'vitest';
import { KeyedScheduler } from './keyed-scheduler.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedScheduler', () => {
  it('never runs more than `concurrency` items and reaches it', async () => {
    let running = 0;
    let peak = 0;
    const scheduler = new KeyedScheduler<number>(3, async () => {
      peak = Math.max(peak, ++running);
      await sleep(2);
      running--;
    }, (error) => { throw error; });
    for (let i = 0; i < 20; i++) scheduler.schedule(undefined, i);
    expect(scheduler.size).toBe(20);
    expect(scheduler.active).toBe(3);
    await scheduler.idle();
    expect(peak).toBe(3);
    expect(scheduler.size).toBe(0);
  });

  it('starts waiting items in the order they were scheduled', async () => {
    const started: number[] = [];
    const scheduler = new KeyedScheduler<number>(2, async (n) => {
      started.push(n);
      await sleep(1);
    }, (error) => { throw error; });
    for (let i = 0; i < 10; i++) scheduler.schedule(undefined, i);
    await scheduler.idle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('runs items of one key in order, one at a time, while other keys pass', async () => {
    const seen: Record<string, number[]> = { a: [], b: [] };
    const active: Record<string, number> = { a: 0, b: 0 };
    const scheduler = new KeyedScheduler<{ key: string; i: number }>(8, async ({ key, i }) => {
      expect(++active[key]!).toBe(1);
      await sleep(Math.random() * 3);
      seen[key]!.push(i);
      active[key]!--;
    }, (error) => { throw error; });
    for (let i = 0; i < 30; i++) {
      const key = i % 3 === 0 ? 'b' : 'a';
      scheduler.schedule(key, { key, i });
    }
    await scheduler.idle();
    expect(seen.a).toEqual([...seen.a!].sort((x, y) => x - y));
    expect(seen.b).toEqual([...seen.b!].sort((x, y) => x - y));
    expect(seen.a!.length + seen.b!.length).toBe(30);
  });

  it('reports a failed item, keeps going and reports idle', async () => {
    const errors: unknown[] = [];
    const ran: string[] = [];
    const scheduler = new KeyedScheduler<string>(1, async (name) => {
      if (name === 'fails') throw new Error('boom');
      ran.push(name);
    }, (error) => errors.push(error));
    scheduler.schedule('k', 'fails');
    scheduler.schedule('k', 'next');
    scheduler.schedule(undefined, 'free');
    await scheduler.idle();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
    expect(ran.sort()).toEqual(['free', 'next']);
  });
});
