/**
 * A Kafka subscription's lag() on the real broker: the records after the group's committed
 * offsets on this member's partitions, falling as acks commit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Delivery, Transport } from '@ferry/core/spi';
import { kafka, message, spec, subscribe, topicName, waitFor } from './helpers.ts';

const transports: Transport[] = [];
afterAll(() => Promise.all(transports.map((t) => t.close())));

/** Polls lag() (measurements are cached for a second) until it is `n`. */
async function lagReaches(read: () => Promise<{ messages: number }>, n: number): Promise<void> {
  let last = -1;
  const deadline = Date.now() + 20_000;
  while (last !== n) {
    if (Date.now() > deadline) throw new Error(`lag stayed ${last}, expected ${n}`);
    last = (await read()).messages;
    if (last !== n) await new Promise((r) => setTimeout(r, 200));
  }
}

describe('kafka lag', () => {
  it('counts what the group has not committed, over the partitions of this member, and falls as acks commit', async () => {
    const topic = topicName('lag');
    const transport = kafka({ partitions: 3 });
    transports.push(transport);
    const held: Delivery[] = [];
    const sub = await subscribe(transport, spec(topic, topicName('lag-g'), { maxInFlight: 100 }), (d) => void held.push(d));
    expect((await sub.lag!()).messages).toBe(0);
    const N = 30;
    await transport.send(Array.from({ length: N }, (_, n) => message(topic, { key: `k${n}` })));
    await waitFor(() => held.length === N, 20_000, () => `${N} deliveries (${held.length})`);
    // Delivered but not acked: nothing committed, all of it still lag.
    await lagReaches(() => sub.lag!(), N);

    await Promise.all(held.slice(0, 10).map((d) => d.ack()));
    // Acks finish out of order per partition: the lag is what lies after the lowest unfinished offsets.
    const unfinished = new Map<number, number>();
    for (const d of held.slice(10)) {
      const p = Number(d.coordinates['partition']);
      unfinished.set(p, Math.min(unfinished.get(p) ?? Infinity, Number(d.coordinates['offset'])));
    }
    const ends = new Map<number, number>();
    for (const d of held) ends.set(Number(d.coordinates['partition']), Math.max(ends.get(Number(d.coordinates['partition'])) ?? -1, Number(d.coordinates['offset']) + 1));
    const expected = [...ends].reduce((sum, [p, end]) => sum + end - (unfinished.get(p) ?? end), 0);
    expect(expected).toBeLessThan(N);
    await lagReaches(() => sub.lag!(), expected);

    await Promise.all(held.slice(10).map((d) => d.ack()));
    await lagReaches(() => sub.lag!(), 0);
  });
});
