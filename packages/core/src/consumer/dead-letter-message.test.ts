import { describe, expect, it } from 'vitest';
import { HEADERS } from '../spi/envelope.ts';
import type { Delivery } from '../spi/delivery.ts';
import { deadLetterMessage, fitDeadLetter } from './dead-letter-message.ts';

const delivery = {
  envelope: { id: 'order-1', type: 'order.placed', topic: 'orders', key: 'c-7', headers: { [HEADERS.attempt]: '3', 'x-app': 'kept' }, payload: new Uint8Array(2000), timestamp: 1 },
  attempt: 3,
  coordinates: { partition: 2, offset: 41 },
} as unknown as Delivery;
const context = { deadLetterTopic: 'orders.dlq', group: 'billing', includeStack: true };

describe('deadLetterMessage', () => {
  it('keeps the id, key and payload, and gives every dead-lettering a deduplication id of its own', () => {
    const first = deadLetterMessage(delivery, new Error('poison'), context);
    const second = deadLetterMessage(delivery, new Error('poison'), context);
    expect(first).toMatchObject({ id: 'order-1', key: 'c-7', topic: 'orders.dlq', payload: delivery.envelope.payload });
    expect(first.headers).toMatchObject({ 'x-app': 'kept', [HEADERS.deadLetterReason]: 'poison', [HEADERS.originalGroup]: 'billing' });
    expect(first.headers[HEADERS.attempt]).toBeUndefined();
    expect(first.deduplicationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.deduplicationId).not.toBe(first.deduplicationId);
  });

  it('a copy shrunk to fit keeps its deduplication id, so its tries dedupe with the first', () => {
    const full = deadLetterMessage(delivery, new Error('x'.repeat(5000)), context);
    const small = fitDeadLetter(full, 100);
    expect(small.headers[HEADERS.deadLetterTruncated]).toBe('payload');
    expect(small.deduplicationId).toBe(full.deduplicationId);
  });
});
