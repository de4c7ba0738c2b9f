import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { packEnvelope } from './codec.ts';
import { recordIdentity, stablePartitioner } from './partitioner.ts';

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
const keyless = (id: string) => ({ topic: 't', partitionMetadata, message: { key: null, value: Buffer.from('v'), headers: { 'ferry-id': id } } });

describe('stablePartitioner', () => {
  it('gives a keyless record the same partition on every call (a retried batch is partitioned as before)', () => {
    const first = stablePartitioner();
    const again = stablePartitioner(); // a fresh instance too: nothing depends on call order
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const once = ids.map((id) => first(keyless(id)));
    expect(ids.map((id) => first(keyless(id)))).toEqual(once);
    expect(ids.map((id) => again(keyless(id)))).toEqual(once);
  });

  it('spreads keyless records over every partition', () => {
    const partition = stablePartitioner();
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6_000; i++) counts[partition(keyless(randomUUID()))]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800); // 1,000 each on average
  });

  it('partitions keyed records and explicit partitions exactly as kafkajs does', () => {
    const ours = stablePartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 100; i++) {
      const keyed = { topic: 't', partitionMetadata, message: { key: `k${i}`, value: 'v', headers: { 'ferry-id': randomUUID() } } };
      expect(ours(keyed)).toBe(kafkajs(keyed));
    }
    const pinned = { topic: 't', partitionMetadata, message: { key: null, partition: 4, value: 'v', headers: { 'ferry-id': 'x' } } };
    expect(ours(pinned)).toBe(4);
  });

  it('hashes the compact envelope header of a keyless record the same way on every call', () => {
    const partition = stablePartitioner();
    const compact = (id: string) => ({ topic: 't', partitionMetadata, message: { key: null, value: Buffer.from('v'), headers: { 'ferry-envelope': packEnvelope(id, 't', undefined) } } });
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const once = ids.map((id) => partition(compact(id)));
    expect(ids.map((id) => stablePartitioner()(compact(id)))).toEqual(once);
    expect(new Set(once).size).toBe(6);
  });

  it('finds the id header in a header Map too (the shape the platformatic driver hands over), for every envelope form', () => {
    const packed = packEnvelope('id-1', 't', undefined);
    expect(recordIdentity(new Map([['ferry-envelope', packed]]))).toBe(packed);
    expect(recordIdentity(new Map([['ferry-id', 'id-1']]))).toBe('id-1');
    expect(recordIdentity(new Map([['ce_id', 'id-1']]))).toBe('id-1');
    expect(recordIdentity({ 'ferry-envelope': packed })).toBe(packed);
    expect(recordIdentity(new Map([['other', 'x']]))).toBeUndefined();
  });
});
