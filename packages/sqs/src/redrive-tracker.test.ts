import type { Delivery } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { RedriveTracker } from './redrive-tracker.ts';

function deadLetter(id: string, sqsMessageId: string): Delivery & { finishAck: () => void } {
  let finishAck!: () => void;
  const acked = new Promise<void>((resolve) => (finishAck = resolve));
  return {
    envelope: { id, type: 't', topic: 'orders.dlq', headers: {}, payload: new Uint8Array(), timestamp: 1 },
    attempt: 1,
    coordinates: { messageId: sqsMessageId },
    ack: () => acked,
    nack: () => Promise.resolve(),
    finishAck,
  };
}

describe('RedriveTracker', () => {
  it('holds a dead letter from delivery until its ack returns', async () => {
    const tracker = new RedriveTracker();
    const first = deadLetter('m1', 'sqs-1');
    const ack = tracker.track(first).ack();
    expect(tracker.deadLetterOf('m1')).toBe('sqs-1');
    first.finishAck();
    await ack;
    expect(tracker.deadLetterOf('m1')).toBeUndefined();
  });

  it('a late ack of the previous dead letter does not forget the next one of the same message', async () => {
    const tracker = new RedriveTracker();
    const first = deadLetter('m1', 'sqs-1');
    const firstAck = tracker.track(first).ack();
    // The redriven message failed again and its new dead letter arrives before the first ack returns.
    const second = deadLetter('m1', 'sqs-2');
    const secondAck = tracker.track(second).ack();
    first.finishAck();
    await firstAck;
    expect(tracker.deadLetterOf('m1')).toBe('sqs-2');
    second.finishAck();
    await secondAck;
    expect(tracker.deadLetterOf('m1')).toBeUndefined();
  });
});
