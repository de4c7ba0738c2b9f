import { describe, expect, it } from 'vitest';
import { Partition, type Entry } from './partition.ts';
import { ReadyRecords } from './ready-records.ts';

const entry = (part: Partition, offset: number): Entry => ({ part, offset, decoded: undefined as never });
const label = (e: Entry | undefined) => (e ? `${e.part.partition}@${e.offset}` : 'none');

describe('ReadyRecords', () => {
  it('hands partitions round-robin, each in offset order, whatever order they were fetched in', () => {
    const ready = new ReadyRecords(100);
    const [a, b, c] = [0, 1, 2].map((p) => new Partition('t', p, false)) as [Partition, Partition, Partition];
    for (let o = 0; o < 3; o++) ready.push(entry(a, o));
    ready.push(entry(b, 10));
    for (let o = 20; o < 22; o++) ready.push(entry(c, o));
    const order = Array.from({ length: 7 }, () => label(ready.shift()));
    expect(order).toEqual(['0@0', '1@10', '2@20', '0@1', '2@21', '0@2', 'none']);
    expect(ready.length).toBe(0);
  });

  it('a full buffer holds back the partition that filled it, not one with less than its share', () => {
    const ready = new ReadyRecords(128); // share: 2 per partition
    const [a, b] = [0, 1].map((p) => new Partition('t', p, false)) as [Partition, Partition];
    let waitA: (() => boolean) | undefined;
    for (let o = 0; o < 128; o++) waitA = ready.push(entry(a, o));
    expect(waitA?.()).toBe(false);
    expect(ready.push(entry(b, 0))).toBeUndefined();
    const waitB = ready.push(entry(b, 1));
    expect(waitB?.()).toBe(false);
    ready.shift(); // a
    ready.shift(); // b: its share has room again
    expect(waitB!()).toBe(true);
    expect(waitA!()).toBe(false);
  });

  it('drops a revoked partition and goes on with the others', () => {
    const ready = new ReadyRecords(100);
    const [a, b] = [0, 1].map((p) => new Partition('t', p, false)) as [Partition, Partition];
    ready.push(entry(a, 0));
    ready.push(entry(a, 1));
    ready.push(entry(b, 5));
    ready.drop(a);
    expect(ready.length).toBe(1);
    expect([label(ready.shift()), label(ready.shift())]).toEqual(['1@5', 'none']);
  });
});
