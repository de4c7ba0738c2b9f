import { describe, expect, it } from 'vitest';
import { HEADERS } from '../spi/envelope.ts';
import { selects } from './dead-letter-selector.ts';
import { describeDeadLetter } from './dead-letter-view.ts';

function letter(headers: Record<string, string>, type = 'order.placed') {
  return describeDeadLetter({ envelope: { id: 'm-1', type, topic: 'orders.dlq', headers, payload: Uint8Array.of(0xff), timestamp: 1_000 }, attempt: 1, coordinates: { offset: 3 } });
}

describe('dead-letter selection', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const handler = letter({ [HEADERS.deadLetterReason]: 'out of stock', [HEADERS.deadLetterKind]: 'handler', [HEADERS.deadLetterAt]: at, [HEADERS.originalTopic]: 'orders' });

  it('matches reason by kind or by a part of the reason, type, original topic and age; all given must match', () => {
    const now = Date.parse(at) + 10 * 60_000;
    expect(selects({ reason: 'handler' }, handler, now)).toBe(true);
    expect(selects({ reason: 'stock' }, handler, now)).toBe(true);
    expect(selects({ reason: 'schema' }, handler, now)).toBe(false);
    expect(selects({ type: 'order.placed', originalTopic: 'orders' }, handler, now)).toBe(true);
    expect(selects({ type: 'order.placed', originalTopic: 'invoices' }, handler, now)).toBe(false);
    expect(selects({ olderThanMs: 5 * 60_000 }, handler, now)).toBe(true);
    expect(selects({ olderThanMs: 15 * 60_000 }, handler, now)).toBe(false);
    expect(selects({}, handler, now)).toBe(true);
  });

  it('a dead letter the broker wrote (no Ferry headers) ages by its publish time and has no reason', () => {
    const native = letter({});
    expect(native.reason).toBeUndefined();
    expect(native.deadLetteredAt).toBeUndefined();
    expect(selects({ olderThanMs: 500 }, native, 2_000)).toBe(true);
    expect(selects({ reason: 'handler' }, native, 2_000)).toBe(false);
  });

  it('keeps issues and coordinates that are not JSON (cut to fit) as text', () => {
    const cut = letter({ [HEADERS.deadLetterIssues]: '[{"path":"a","mess… (12 more characters cut)', [HEADERS.originalCoordinates]: '{"offset":7}', [HEADERS.deadLetterAttempts]: '3' });
    expect(cut.issues).toBe('[{"path":"a","mess… (12 more characters cut)');
    expect(cut.originalCoordinates).toEqual({ offset: 7 });
    expect(cut.attempts).toBe(3);
    expect([...cut.payload]).toEqual([0xff]);
  });
});
