import { describe, expect, it } from 'vitest';
import { assignPartitions } from './assigner.ts';

describe('assignPartitions', () => {
  const partitions = (n: number) => () => Array.from({ length: n }, (_, i) => i);

  it('gives a topic only to members subscribed to it', () => {
    const result = assignPartitions(
      [
        { memberId: 'a', topics: ['orders'] },
        { memberId: 'b', topics: ['payments'] },
      ],
      partitions(3),
    );
    expect(result.get('a')).toEqual({ orders: [0, 1, 2] });
    expect(result.get('b')).toEqual({ payments: [0, 1, 2] });
  });

  it('splits a topic evenly and assigns every partition once', () => {
    const members = ['m1', 'm2', 'm3'].map((memberId) => ({ memberId, topics: ['t', 't.retry'] }));
    const result = assignPartitions(members, partitions(6));
    for (const topic of ['t', 't.retry']) {
      const all = [...result.values()].flatMap((a) => a[topic] ?? []).sort();
      expect(all).toEqual([0, 1, 2, 3, 4, 5]);
      for (const a of result.values()) expect(a[topic]).toHaveLength(2);
    }
  });

  it('rotates the first member across topics so one-partition topics spread out', () => {
    const members = ['m1', 'm2'].map((memberId) => ({ memberId, topics: ['a', 'b'] }));
    const result = assignPartitions(members, partitions(1));
    expect(Object.keys(result.get('m1')!)).toHaveLength(1);
    expect(Object.keys(result.get('m2')!)).toHaveLength(1);
  });
});
