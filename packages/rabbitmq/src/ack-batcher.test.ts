import type { Channel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher.ts';

/** Records what would go to the broker. */
function recorder() {
  const sent: string[] = [];
  const channel = {
    ack: (m: { fields: { deliveryTag: number } }, multiple: boolean) => sent.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`),
  } as unknown as Channel;
  return { sent, batcher: new AckBatcher(channel) };
}

describe('AckBatcher', () => {
  it('acks a settled prefix with one multiple ack', () => {
    const { sent, batcher } = recorder();
    for (const tag of [3, 1, 2]) batcher.ack(tag);
    batcher.flush();
    expect(sent).toEqual(['ack 3 multiple']);
  });

  it('acks settled tags above a gap one by one, and never a tag twice', () => {
    const { sent, batcher } = recorder();
    for (const tag of [1, 2, 4, 5]) batcher.ack(tag);
    batcher.flush();
    expect(sent).toEqual(['ack 2 multiple', 'ack 4', 'ack 5']);
    batcher.ack(4); // again: ignored
    batcher.ack(3);
    batcher.ack(6);
    batcher.flush();
    // 3 closes the gap; 4 and 5 were sent already; 6 is the new top.
    expect(sent.slice(3)).toEqual(['ack 6 multiple']);
  });

  it('when a gap closes, the multiple ack stops below tags acked alone before', () => {
    const { sent, batcher } = recorder();
    batcher.ack(2);
    batcher.flush(); // 2 alone, individually
    batcher.ack(1);
    batcher.flush(); // 1..2 settled, 2 sent already: a multiple ack up to 1 only
    batcher.ack(3);
    batcher.flush();
    expect(sent).toEqual(['ack 2', 'ack 1 multiple', 'ack 3 multiple']);
  });
});
