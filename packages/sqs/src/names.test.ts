import { describe, expect, it } from 'vitest';
import { fifoId, queueNameFor } from './names.ts';

const std = { prefix: '', fifo: false };

describe('queue names', () => {
  it('keeps names SQS accepts as they are', () => {
    expect(queueNameFor('orders_placed-v2', std)).toBe('orders_placed-v2');
    expect(queueNameFor('orders', { prefix: 'prod-', fifo: false })).toBe('prod-orders');
    expect(queueNameFor('orders', { prefix: '', fifo: true })).toBe('orders.fifo');
  });

  it('maps other topics deterministically to valid, distinct names', () => {
    const a = queueNameFor('orders.placed', std);
    expect(a).toMatch(/^orders_placed-[0-9a-f]{8}$/);
    expect(queueNameFor('orders.placed', std)).toBe(a);
    expect(queueNameFor('orders/placed', std)).not.toBe(a);
    expect(queueNameFor('orders_placed', std)).not.toBe(a);
    expect(queueNameFor('bestellungen.größe', std)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('stays within 80 characters, .fifo included, and keeps long topics apart', () => {
    const long = 'x'.repeat(200);
    for (const fifo of [false, true]) {
      const name = queueNameFor(long, { prefix: 'env-', fifo });
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(fifo ? /^[A-Za-z0-9_-]+\.fifo$/ : /^[A-Za-z0-9_-]+$/);
    }
    expect(queueNameFor(`${long}a`, std)).not.toBe(queueNameFor(`${long}b`, std));
    expect(queueNameFor('y'.repeat(75), std)).toBe('y'.repeat(75));
  });

  it('uses an explicit queue name as given', () => {
    expect(queueNameFor('orders', { prefix: 'p-', fifo: true, explicit: 'legacy-orders.fifo' })).toBe('legacy-orders.fifo');
  });

  it('keeps valid group and dedup ids, hashes the rest (same input, same id)', () => {
    expect(fifoId('customer-42')).toBe('customer-42');
    expect(fifoId('key-ü')).toMatch(/^h-[0-9a-f]{64}$/);
    expect(fifoId('key-ü')).toBe(fifoId('key-ü'));
    expect(fifoId('a'.repeat(129))).toMatch(/^h-/);
    expect(fifoId('with space')).toMatch(/^h-/);
  });
});
