import { describe, expect, it } from 'vitest';
import { OffsetTracker } from './tracker.ts';

describe('OffsetTracker', () => {
  it('never commits past an unfinished offset when later ones finish first', () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12, 13]) t.take(o);
    expect(t.position()).toBe(10);
    t.finish(12);
    t.finish(13);
    expect(t.position()).toBe(10);
    t.finish(11);
    expect(t.position()).toBe(10);
    t.finish(10);
    expect(t.position()).toBe(14);
    expect(t.unfinished).toBe(0);
  });

  it('skips gaps (compacted or control records) and reports offsets already taken', () => {
    const t = new OffsetTracker();
    t.take(5);
    t.take(9);
    expect(t.seen(5)).toBe(true);
    expect(t.seen(7)).toBe(true);
    expect(t.seen(10)).toBe(false);
    t.finish(9);
    expect(t.position()).toBe(5);
    t.finish(5);
    expect(t.position()).toBe(10);
  });

  it('tells the position a transaction for one offset may commit', () => {
    const t = new OffsetTracker();
    for (const o of [1, 2, 3]) t.take(o);
    expect(t.positionWith(1)).toBe(2);
    expect(t.positionWith(2)).toBe(1);
    t.finish(1);
    t.finish(2);
    expect(t.positionWith(3)).toBe(4);
  });

  it('starts at a given position with nothing taken, and compacts long runs', () => {
    const t = new OffsetTracker(42);
    expect(t.position()).toBe(42);
    expect(t.seen(41)).toBe(true);
    for (let o = 42; o < 5000; o++) t.take(o);
    for (let o = 42; o < 4990; o++) t.finish(o);
    expect(t.position()).toBe(4990);
    expect(t.unfinished).toBe(10);
  });
});
