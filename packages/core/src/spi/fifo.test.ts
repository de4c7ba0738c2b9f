import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('gives items back in order across compactions, interleaving push and shift', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3000; i++) fifo.push(next++);
      for (let i = 0; i < 2500; i++) out.push(fifo.shift()!);
    }
    while (fifo.length > 0) out.push(fifo.shift()!);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
  });

  it('peek shows the head; retain drops items and keeps the order of the rest', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 10; i++) fifo.push(i);
    fifo.shift();
    expect(fifo.peek()).toBe(1);
    fifo.retain((n) => n % 2 === 0);
    expect(fifo.length).toBe(4);
    const out: number[] = [];
    while (fifo.length > 0) out.push(fifo.shift()!);
    expect(out).toEqual([2, 4, 6, 8]);
  });

});
