import { CapabilityError, type StartPosition } from '@ferry/core';
import type { Delivery } from '@ferry/core/spi';
import { getMemoryBroker } from './broker.ts';
import { describe, expect, it } from 'vitest';
import type { Transport } from '@ferry/core/spi';
import { freshBroker, message, sleep, spec, text, transportsClosedAfterEach, until, subscribe } from './test-support.ts';

const open = transportsClosedAfterEach();

describe('redelivery, delay, priority', () => {
  it('nack redelivers to the same group only, attempt + 1, after the delay, without blocking later messages', async () => {
    const broker = freshBroker();
    const t = open(broker);
    const got: Array<{ body: string; attempt: number; at: number }> = [];
    let nackedAt = 0;
    await subscribe(t, spec('nack', 'g'), (d) => {
      got.push({ body: text(d), attempt: d.attempt, at: Date.now() });
      if (text(d) === 'fails' && d.attempt === 1) {
        nackedAt = Date.now();
        void d.nack(150);
      } else void d.ack();
    });
    const other: string[] = [];
    await subscribe(t, spec('nack', 'other-group'), (d) => (other.push(text(d)), void d.ack()));
    await t.send([message('nack', 'fails'), message('nack', 'next-1'), message('nack', 'next-2')]);
    await until(() => got.length === 4);
    expect(got.map((g) => [g.body, g.attempt])).toEqual([
      ['fails', 1],
      ['next-1', 1],
      ['next-2', 1],
      ['fails', 2],
    ]);
    expect(got[3]!.at - nackedAt).toBeGreaterThanOrEqual(150);
    expect(got[2]!.at - nackedAt).toBeLessThan(150);
    await sleep(20);
    expect(other).toEqual(['fails', 'next-1', 'next-2']);
  });

  it('nack(0) of a keyed message keeps its key order', async () => {
    const broker = freshBroker();
    const t = open(broker);
    const got: string[] = [];
    await subscribe(t, spec('nack-key', 'g', { maxInFlight: 10 }), (d) => {
      got.push(`${text(d)}#${d.attempt}`);
      if (d.attempt < 3 && text(d) === '0') void d.nack(0);
      else void d.ack();
    });
    await t.send(['0', '1', '2'].map((b) => message('nack-key', b, { key: 'k' })));
    await until(() => got.length === 5);
    expect(got).toEqual(['0#1', '0#2', '0#3', '1#1', '2#1']);
  });

  it('delays a publish until due while undelayed ones pass', async () => {
    const broker = freshBroker();
    const t = open(broker);
    const got: Array<{ body: string; at: number }> = [];
    await subscribe(t, spec('delay', 'g'), (d) => (got.push({ body: text(d), at: Date.now() }), void d.ack()));
    const sentAt = Date.now();
    await t.send([message('delay', 'later', { delayMs: 200 }), message('delay', 'sooner', { delayMs: 50 }), message('delay', 'now')]);
    await until(() => got.length === 3);
    expect(got.map((g) => g.body)).toEqual(['now', 'sooner', 'later']);
    expect(got[1]!.at - sentAt).toBeGreaterThanOrEqual(50);
    expect(got[2]!.at - sentAt).toBeGreaterThanOrEqual(200);
  });

  it('delivers higher priority first, publish order within a priority', async () => {
    const broker = freshBroker();
    const t = open(broker);
    await t.send([
      message('prio', 'low-1', { priority: 1 }),
      message('prio', 'none'),
      message('prio', 'high-1', { priority: 9 }),
      message('prio', 'low-2', { priority: 1 }),
      message('prio', 'high-2', { priority: 9 }),
      message('prio', 'top', { priority: 255 }),
    ]);
    const got: string[] = [];
    await subscribe(t, spec('prio', 'g', { maxInFlight: 1 }), (d) => (got.push(text(d)), void d.ack()));
    await until(() => got.length === 6);
    expect(got).toEqual(['top', 'high-1', 'high-2', 'low-1', 'low-2', 'none']);
  });
});

describe('replay', () => {
  async function consumeAll(t: Transport, topic: string, group: string, count: number, start: StartPosition = { from: 'stored' }) {
    const got: Delivery[] = [];
    const sub = await subscribe(t, spec(topic, group, { start }), (d) => (got.push(d), void d.ack()));
    await until(() => got.length === count);
    await sleep(20);
    await sub.close();
    return got.map(text);
  }

  it('replays a group from the earliest message, an offset and a timestamp', async () => {
    const broker = freshBroker();
    const t = open(broker);
    await t.send(['0', '1', '2', '3', '4'].map((b) => message('replay', b)));
    await sleep(5);
    const between = Date.now();
    await sleep(5);
    await t.send(['5', '6'].map((b) => message('replay', b)));
    expect(await consumeAll(t, 'replay', 'g', 7)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    // Same group, already at the end: stored position gives nothing new.
    expect(await consumeAll(t, 'replay', 'g', 0)).toEqual([]);
    expect(await consumeAll(t, 'replay', 'g', 7, { from: 'earliest' })).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(await consumeAll(t, 'replay', 'g', 4, { from: 'offset', offset: 3 })).toEqual(['3', '4', '5', '6']);
    expect(await consumeAll(t, 'replay', 'g', 2, { from: 'timestamp', timestamp: between })).toEqual(['5', '6']);
    expect(await consumeAll(t, 'replay', 'fresh', 2, { from: 'offset', offset: 5 })).toEqual(['5', '6']);
  });

  it('drops the oldest records past retainMessages; a new group starts at the earliest kept', async () => {
    const broker = freshBroker();
    const t = open(broker, { retainMessages: 3 });
    await t.send(['0', '1', '2', '3', '4'].map((b) => message('retain', b)));
    expect(await consumeAll(t, 'retain', 'g', 3)).toEqual(['2', '3', '4']);
    expect(await consumeAll(t, 'retain', 'g', 3, { from: 'offset', offset: 0 })).toEqual(['2', '3', '4']);
  });

  it('keeps dead letters until a DEAD_LETTER_GROUP subscriber reads them', async () => {
    const broker = freshBroker();
    const t = open(broker);
    await t.send([message('orders.dlq', 'dead-1'), message('orders.dlq', 'dead-2')]);
    expect(await consumeAll(open(broker), 'orders.dlq', 'ferry-dead-letters', 2)).toEqual(['dead-1', 'dead-2']);
  });

  it('a replay skips records a member holds unsettled, and they stay settleable', async () => {
    const broker = freshBroker();
    const t = open(broker);
    await t.send(['0', '1', '2'].map((b) => message('held', b)));
    const held: Delivery[] = [];
    await subscribe(t, spec('held', 'g', { maxInFlight: 1 }), (d) => held.push(d));
    await until(() => held.length === 1);
    const replayed: string[] = [];
    await subscribe(t, spec('held', 'g', { start: { from: 'earliest' } }), (d) => (replayed.push(text(d)), void d.ack()));
    await until(() => replayed.length === 2);
    await sleep(20);
    expect(replayed).toEqual(['1', '2']);
    await held[0]!.ack();
    await sleep(20);
    expect(held.map(text)).toEqual(['0']);
    expect(replayed).toEqual(['1', '2']);
  });

  it('refuses a partition other than 0', async () => {
    const t = open(freshBroker());
    await expect(subscribe(t, spec('p', 'g', { start: { from: 'offset', offset: 0, partition: 1 } }), () => {})).rejects.toBeInstanceOf(CapabilityError);
  });

  it('a group nobody reads holds no more than about twice the retained records', async () => {
    const broker = freshBroker();
    const t = open(broker, { retainMessages: 10 });
    const sub = await subscribe(t, spec('idle', 'g'), () => {});
    await sub.close();
    for (let i = 0; i < 5000; i += 100) await t.send(Array.from({ length: 100 }, (_, j) => message('idle', String(i + j))));
    expect(getMemoryBroker(broker, undefined).group('idle', 'g').waiting).toBeLessThanOrEqual(2048);
    // What it still delivers is exactly the retained tail.
    expect(await consumeAll(t, 'idle', 'g', 10)).toEqual(Array.from({ length: 10 }, (_, i) => String(4990 + i)));
  });
});
