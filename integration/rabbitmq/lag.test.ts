/** A RabbitMQ subscription's lag() on the real broker: the ready messages of the group queue. */
import { afterAll, describe, expect, it } from 'vitest';
import type { Delivery, Subscription } from '@ferry/core/spi';
import { cleanup, message, rabbit, sleep, spec, subscribe, topicName } from './helpers.ts';

const prefixes: string[] = [];
afterAll(() => cleanup(...prefixes));

async function lagReaches(sub: Subscription, n: number): Promise<void> {
  let last = -1;
  const deadline = Date.now() + 20_000;
  while (last !== n) {
    if (Date.now() > deadline) throw new Error(`lag stayed ${last}, expected ${n}`);
    last = (await sub.lag!()).messages;
    if (last !== n) await sleep(100);
  }
}

describe('rabbitmq lag', () => {
  it('is the ready messages of the group queue: what waits beyond the deliveries held, falling as they are acked', async () => {
    const topic = topicName('lag');
    prefixes.push(topic);
    const t = rabbit();
    try {
      const held: Delivery[] = [];
      const PREFETCH = 5;
      const sub = await subscribe(t, spec(topic, 'g', { maxInFlight: PREFETCH }), (d) => void held.push(d));
      expect((await sub.lag!()).messages).toBe(0);
      const N = 30;
      await t.send(Array.from({ length: N }, (_, n) => message(topic, { id: `m${n}` })));
      // PREFETCH are delivered and held (unacked, not ready): the rest waits in the queue.
      await lagReaches(sub, N - PREFETCH);
      expect(held.length).toBe(PREFETCH);
      for (const d of held.splice(0)) await d.ack();
      await lagReaches(sub, N - 2 * PREFETCH);
      // Acking everything as it comes drains the queue.
      const drain = setInterval(() => void held.splice(0).forEach((d) => void d.ack()), 20);
      try {
        await lagReaches(sub, 0);
      } finally {
        clearInterval(drain);
      }
    } finally {
      await t.close();
    }
  });
});
