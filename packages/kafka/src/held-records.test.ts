import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decode, encode } from './codec.ts';
import { HeldRecords } from './held-records.ts';
import { Partition, type Entry } from './partition.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function entry(part: Partition, offset: number): Entry {
  const r = encode({ id: `m${offset}`, type: 't', topic: 'orders', headers: {}, payload: Buffer.from('x'), timestamp: 1 });
  return { part, offset, decoded: decode(part.topic, part.partition, { offset: String(offset), key: null, value: r.value, headers: r.headers, timestamp: r.timestamp, attributes: 0 } as never) };
}

describe('HeldRecords', () => {
  it('gives each record back at its due time, never before, while counting what waits', () => {
    const due: number[] = [];
    const held = new HeldRecords((e) => void due.push(e.offset));
    const part = new Partition('orders.g.retry', 0, true);
    const now = Date.now();
    held.hold(entry(part, 1), now + 200);
    held.hold(entry(part, 2), now + 100);
    expect(held.size).toBe(2);
    vi.advanceTimersByTime(99);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual([2]);
    vi.advanceTimersByTime(100);
    expect(due).toEqual([2, 1]);
    expect(held.size).toBe(0);
  });

  it("drops, when due, a record whose partition was revoked meanwhile (the next owner has it)", () => {
    const due: number[] = [];
    const held = new HeldRecords((e) => void due.push(e.offset));
    const part = new Partition('orders.delay', 3, true);
    held.hold(entry(part, 9), Date.now() + 50);
    part.released = true;
    vi.advanceTimersByTime(50);
    expect(due).toEqual([]);
    expect(held.size).toBe(0);
  });
});
