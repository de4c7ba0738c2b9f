/** The RabbitMQ transport on the real broker: envelope round trip, fan-out, competition, errors. */
import { afterAll, describe, expect, it } from 'vitest';
import { CapabilityError, ClosedError, DEAD_LETTER_GROUP, MessageTooLargeError, PublishError } from '@ferry/core';
import { guardTransport } from '@ferry/core/spi';
import { Collector, amqpUrl, cleanup, message, rabbit, sleep, spec, subscribe, topicName } from './helpers.ts';

const prefixes: string[] = [];
const topic = (p: string) => {
  const t = topicName(p);
  prefixes.push(t);
  return t;
};
afterAll(() => cleanup(...prefixes));

describe('rabbitmq transport', () => {
  it('round-trips every envelope field byte-exact (binary, unicode, empty payload)', async () => {
    const t = rabbit();
    const name = topic('envelope');
    const c = await new Collector().start(t, spec(name, 'g'));
    const binary = new Uint8Array(256).map((_, i) => i);
    const sent = [
      message(name, { payload: binary, key: 'k-1', headers: { a: '1', 'x-request-id': 'r', uni: 'ünï😀', 'ferry-content-type': 'application/json' } }),
      message(name, { payload: new TextEncoder().encode('😀 ünicode'), type: 'order.placed', key: '' }),
      message(name, { payload: new Uint8Array(0), id: 'x'.repeat(300) }),
    ];
    await t.send(sent);
    await c.waitFor(3);
    const byId = new Map(c.deliveries.map((d) => [d.envelope.id, d]));
    for (const m of sent) {
      const d = byId.get(m.id)!;
      expect(d.envelope).toEqual({ id: m.id, type: m.type, topic: name, key: m.key, headers: m.headers, payload: m.payload, timestamp: m.timestamp });
      expect(Buffer.from(d.envelope.payload).equals(Buffer.from(m.payload))).toBe(true);
      expect(d.attempt).toBe(1);
      expect(d.coordinates.queue).toBe(`${name}.g`);
    }
    await t.close();
  });

  it('gives every group everything and splits a group between its consumers', async () => {
    const a = rabbit();
    const b = rabbit();
    const name = topic('fanout');
    const g1a = await new Collector().start(a, spec(name, 'one'));
    const g1b = await new Collector().start(b, spec(name, 'one'));
    const g2 = await new Collector().start(a, spec(name, 'two'));
    await a.send(Array.from({ length: 200 }, () => message(name)));
    await g2.waitFor(200);
    await sleep(300);
    expect(g2.deliveries).toHaveLength(200);
    expect(g1a.deliveries.length + g1b.deliveries.length).toBe(200);
    expect(g1a.deliveries.length).toBeGreaterThan(0);
    expect(g1b.deliveries.length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects an unroutable message with a PublishError instead of dropping it', async () => {
    const t = rabbit();
    const name = topic('unroutable');
    await expect(t.send([message(name)])).rejects.toThrow(PublishError);
    await expect(t.send([message(name)])).rejects.toThrow(/unroutable/);
    await t.close();
  });

  it('refuses what it cannot carry before sending, and sends after close (capabilities and close: core\'s guard; AMQP limits: the adapter)', async () => {
    const t = guardTransport(rabbit({ maxMessageBytes: 1000 }));
    const name = topic('refuse');
    await expect(t.send([message(name, { payload: new Uint8Array(2000) })])).rejects.toThrow(MessageTooLargeError);
    await expect(t.send([message(name, { priority: 1 })])).rejects.toThrow(CapabilityError);
    await expect(t.send([message(name, { delayMs: 10 * 86_400_000 })])).rejects.toThrow(CapabilityError);
    await expect(t.send([message(name, { type: 't'.repeat(300) })])).rejects.toThrow(/longer than AMQP's 255 bytes/);
    await expect(t.send([message(name, { headers: { ['h'.repeat(300)]: 'v' } })])).rejects.toThrow(/255 bytes/);
    await expect(subscribe(t, spec(name, 'g', { start: { from: 'earliest' } }), () => undefined)).rejects.toThrow(CapabilityError);
    await t.close();
    await t.close();
    await expect(t.send([message(name)])).rejects.toThrow(ClosedError);
  });

  it('redelivers what a closed subscription left unsettled, with attempt 2', async () => {
    const t = rabbit();
    const name = topic('release');
    const first = await new Collector('none').start(t, spec(name, 'g', { maxInFlight: 5 }));
    await t.send(Array.from({ length: 8 }, () => message(name)));
    await first.waitFor(5);
    await sleep(200);
    expect(first.deliveries).toHaveLength(5); // prefetch bounds what is unsettled
    await first.subscription!.close();
    await first.deliveries[0]!.ack(); // after release: harmless
    const second = await new Collector().start(t, spec(name, 'g'));
    await second.waitFor(8);
    const attempts = second.deliveries.map((d) => d.attempt).sort();
    expect(attempts).toEqual([1, 1, 1, 2, 2, 2, 2, 2]);
    await t.close();
  });

  it('declares the dead-letter topic with a queue for DEAD_LETTER_GROUP at subscribe', async () => {
    const t = rabbit();
    const name = topic('dlq');
    await new Collector().start(t, spec(name, 'g'));
    await t.send([message(`${name}.dlq`, { headers: { 'ferry-dead-letter-reason': 'boom' } })]);
    const dl = await new Collector().start(t, spec(`${name}.dlq`, DEAD_LETTER_GROUP));
    await dl.waitFor(1);
    expect(dl.deliveries[0]!.envelope.headers['ferry-dead-letter-reason']).toBe('boom');
    await t.close();
  });

  it('with topology "existing", fails clearly when the exchange is missing', async () => {
    const t = rabbit({ topology: 'existing' });
    const name = topic('existing');
    await expect(t.send([message(name)])).rejects.toThrow(/does not exist.*topology/);
    await t.close();
  });

  it('fails a message AMQP cannot encode (headers beyond the frame size) and keeps publishing the rest', async () => {
    const t = rabbit();
    const name = topic('encode');
    const c = await new Collector().start(t, spec(name, 'g'));
    const huge: Record<string, string> = {};
    for (let i = 0; i < 10; i++) huge[`h${i}`] = 'x'.repeat(20_000);
    const before = Array.from({ length: 50 }, () => message(name));
    const bad = message(name, { headers: huge });
    const after = Array.from({ length: 50 }, () => message(name));
    const results = await Promise.allSettled([t.send(before), t.send([bad]), t.send(after)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/Could not encode/);
    await c.waitFor(100);
    await sleep(300);
    const ids = new Set(c.deliveries.map((d) => d.envelope.id));
    expect([...before, ...after].every((m) => ids.has(m.id))).toBe(true);
    expect(ids.has(bad.id)).toBe(false);
    await t.close();
  });

  it('fails a refused login at once, without retrying until connectTimeoutMs, and keeps the password out of the error', async () => {
    const url = new URL(amqpUrl());
    url.username = 'guest';
    url.password = 'not-the-password-5f2c';
    const t = rabbit({ connectTimeoutMs: 20_000 }, url.toString());
    const started = Date.now();
    const error = await t.send([message(topic('refused'))]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('FERRY_AUTH');
    expect(String(error)).toMatch(/Cannot connect to RabbitMQ .*ACCESS.REFUSED.*check the user name and password in the URL/);
    expect(String(error)).not.toContain('not-the-password-5f2c');
    expect(Date.now() - started).toBeLessThan(10_000); // gave up on the refusal, not on the deadline
    await t.close();
  });
});
