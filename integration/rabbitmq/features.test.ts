/** RabbitMQ's own strengths through the adapter: routing patterns, priority, delay tiers, streams. */
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_GROUP, HEADERS, PublishError } from '@ferry/core';
import { DeliveryGate, type Delivery } from '@ferry/core/spi';
import { Collector, cleanup, message, rabbit, sleep, spec, subscribe, topicName } from './helpers.ts';

const prefixes: string[] = [];
const topic = (p: string) => {
  const t = topicName(p);
  prefixes.push(t);
  return t;
};
afterAll(() => cleanup(...prefixes));
const text = (d: Delivery) => new TextDecoder().decode(d.envelope.payload);

describe('rabbitmq features', () => {
  it('routes by routing-key pattern and by exact message type', async () => {
    const name = topic('routing');
    const t = rabbit({
      bindings: [
        { topic: name, group: 'placed', patterns: ['order.placed'] },
        { topic: name, group: 'one-level', patterns: ['order.*'] },
        { topic: name, group: 'all-orders', patterns: ['order.#'] },
      ],
    });
    const placed = await new Collector().start(t, spec(name, 'placed'));
    const oneLevel = await new Collector().start(t, spec(name, 'one-level'));
    const all = await new Collector().start(t, spec(name, 'all-orders'));
    await t.send(['order.placed', 'order.cancelled', 'order.item.added'].map((type) => message(name, { type })));
    await expect(t.send([message(name, { type: 'invoice.sent' })])).rejects.toThrow(PublishError);
    await all.waitFor(3);
    await sleep(300);
    expect(placed.deliveries.map((d) => d.envelope.type)).toEqual(['order.placed']);
    expect(oneLevel.deliveries.map((d) => d.envelope.type).sort()).toEqual(['order.cancelled', 'order.placed']);
    expect(all.deliveries.map((d) => d.envelope.type).sort()).toEqual(['order.cancelled', 'order.item.added', 'order.placed']);
    await t.close();
  });

  it('delivers higher priority first from a priority topic', async () => {
    const name = topic('priority');
    const t = rabbit({ priorityTopics: [name], maxPriority: 10 });
    expect(t.capabilities.priority).toEqual({ max: 10 });
    const setup = await new Collector().start(t, spec(name, 'g'));
    await setup.subscription!.close(); // the queue exists; messages now wait in it
    const priorities = [1, 5, 0, 9, 3, 10, 7, 2, 8, 4, 6];
    await t.send(priorities.map((priority) => message(name, { priority, payload: new TextEncoder().encode(String(priority)) })));
    const c = await new Collector().start(t, spec(name, 'g', { maxInFlight: 1 }));
    await c.waitFor(priorities.length);
    expect(c.texts().map(Number)).toEqual([...priorities].sort((a, b) => b - a));
    await t.close();
  });

  it('delays a retry without head-of-line blocking: 5 s on one message does not hold back 100 ms on the next', async () => {
    const name = topic('delay');
    const t = rabbit();
    const seen: Array<{ text: string; attempt: number; at: number }> = [];
    const nackedAt = new Map<string, number>();
    const sub = await subscribe(t, spec(name, 'g'), (d) => {
      seen.push({ text: text(d), attempt: d.attempt, at: Date.now() });
      if (d.attempt === 1) {
        nackedAt.set(text(d), Date.now());
        void d.nack(text(d) === 'slow' ? 5_000 : 100);
      } else void d.ack();
    });
    await t.send([message(name, { payload: new TextEncoder().encode('slow') })]);
    await sleep(100); // 'slow' is in its delay queue first
    await t.send([message(name, { payload: new TextEncoder().encode('fast') })]);
    while (seen.length < 4) await sleep(50);
    const again = seen.filter((s) => s.attempt === 2);
    expect(again.map((s) => s.text)).toEqual(['fast', 'slow']);
    const fastWait = again[0]!.at - nackedAt.get('fast')!;
    const slowWait = again[1]!.at - nackedAt.get('slow')!;
    expect(fastWait).toBeGreaterThanOrEqual(95);
    expect(fastWait).toBeLessThan(1_500);
    expect(slowWait).toBeGreaterThanOrEqual(4_990);
    expect(slowWait).toBeLessThan(7_000);
    await sub.close();
    await t.close();
  });

  it('sends only to the nacking group, and delays at publish time', async () => {
    const name = topic('retry-group');
    const t = rabbit();
    const other = await new Collector().start(t, spec(name, 'other'));
    const seen: Delivery[] = [];
    await subscribe(t, spec(name, 'g'), (d) => {
      seen.push(d);
      if (d.attempt < 3) void d.nack(0);
      else void d.ack();
    });
    const sentAt = Date.now();
    await t.send([message(name, { delayMs: 400 })]);
    while (seen.length < 3) await sleep(20);
    expect(seen[0]!.attempt).toBe(1);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(400);
    expect(seen.map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((d) => d.envelope.id)).size).toBe(1);
    await sleep(300);
    expect(other.deliveries).toHaveLength(1);
    await t.close();
  });

  it('replays a stream from the first message, an offset and a timestamp', async () => {
    const name = topic('stream');
    const t = rabbit({ streamTopics: [name] });
    expect(t.capabilities.replay).toEqual(['earliest', 'timestamp']);
    await t.send(Array.from({ length: 10 }, (_, i) => message(name, { payload: new TextEncoder().encode(`a${i}`) })));
    await sleep(1_100);
    const middle = Date.now();
    await t.send(Array.from({ length: 10 }, (_, i) => message(name, { payload: new TextEncoder().encode(`b${i}`) })));

    const first = await new Collector().start(t, spec(name, 'r1', { start: { from: 'earliest' } }));
    await first.waitFor(20);
    expect(first.texts()).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
    const offsets = first.deliveries.map((d) => d.coordinates.offset as number);

    // Below core's guard, which refuses an offset (undeclared: a group queue's deliveries carry
    // none); the adapter takes one for a stream.
    const fromOffset = new Collector();
    fromOffset.subscription = await t.subscribe(spec(name, 'r2', { start: { from: 'offset', offset: offsets[15]! } }), new DeliveryGate(10, fromOffset.onDelivery));
    await fromOffset.waitFor(5);
    await sleep(300);
    expect(fromOffset.texts()).toEqual(['b5', 'b6', 'b7', 'b8', 'b9']);

    const fromTime = await new Collector().start(t, spec(name, 'r3', { start: { from: 'timestamp', timestamp: middle } }));
    await fromTime.waitFor(10);
    await sleep(300);
    expect(fromTime.texts()).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));

    // A replaying group's nack comes back to that group, with attempt 2.
    const seen: Delivery[] = [];
    await t.subscribe(spec(name, 'r4', { start: { from: 'offset', offset: offsets[19]! } }), new DeliveryGate(10, (d) => {
      seen.push(d);
      if (d.attempt === 1) void d.nack(50);
      else void d.ack();
    }));
    while (seen.length < 2) await sleep(20);
    expect(seen.map((d) => [text(d), d.attempt])).toEqual([['b9', 1], ['b9', 2]]);
    await t.close();
  });

  it('keeps key order across consumers of a group with single active consumer, and fails over on close', async () => {
    const name = topic('sac');
    const options = { singleActiveConsumer: 'ordered' as const };
    const [a, b] = [rabbit(options), rabbit(options)];
    expect(a.capabilities.orderingByKey).toBe(true);
    expect(rabbit().capabilities.orderingByKey).toBe(false);
    const first = await new Collector().start(a, spec(name, 'g', { orderedByKey: true }));
    const second = await new Collector().start(b, spec(name, 'g', { orderedByKey: true }));
    const sendKeys = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: 8 }, async (_, k) => {
          for (let n = from; n < to; n++) await a.send([message(name, { key: `k${k}`, payload: new TextEncoder().encode(`k${k}:${n}`) })]);
        }),
      );
    await sendKeys(0, 25);
    await first.waitFor(200);
    await sleep(200);
    expect(second.deliveries).toHaveLength(0); // standing by
    const perKey = new Map<string, number[]>();
    for (const t of first.texts()) {
      const [k, n] = t.split(':');
      perKey.set(k!, [...(perKey.get(k!) ?? []), Number(n)]);
    }
    for (const seq of perKey.values()) expect(seq).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await first.subscription!.close();
    await sendKeys(25, 30);
    await second.waitFor(40);
    expect(second.texts().filter((t) => t.startsWith('k0:'))).toEqual(['k0:25', 'k0:26', 'k0:27', 'k0:28', 'k0:29']);
    await Promise.all([a.close(), b.close()]);
  });

  it('dead-letters natively at the delivery limit (a consumer that dies on a message never nacks it)', async () => {
    const name = topic('limit');
    const t = rabbit({ deliveryLimit: 2 });
    expect(t.capabilities.nativeDeadLetter).toBe(true);
    const sent = message(name, { headers: { trace: 't-1' } });
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      // Takes the message and "dies" (closes without settling): the queue counts a release.
      const c = await new Collector('none').start(t, spec(name, 'g'));
      if (i === 0) await t.send([sent]);
      await c.waitFor(1, 5_000);
      attempts.push(c.deliveries[0]!.attempt);
      await c.subscription!.close();
    }
    expect(attempts).toEqual([1, 2, 3]);
    const dl = await new Collector().start(t, spec(`${name}.dlq`, DEAD_LETTER_GROUP));
    await dl.waitFor(1);
    const { envelope } = dl.deliveries[0]!;
    expect(envelope.id).toBe(sent.id);
    expect(envelope.topic).toBe(`${name}.dlq`);
    expect(envelope.headers).toMatchObject({
      trace: 't-1',
      [HEADERS.deadLetterKind]: 'delivery-limit',
      [HEADERS.originalTopic]: name,
      [HEADERS.originalGroup]: 'g',
    });
    expect(envelope.headers[HEADERS.deadLetterReason]).toMatch(/delivery limit/);
    const again = await new Collector().start(t, spec(name, 'g'));
    await sleep(300);
    expect(again.deliveries).toHaveLength(0);
    await t.close();
  });
});
