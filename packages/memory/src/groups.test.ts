import type { Delivery, DeliverySink } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { freshBroker, message, sleep, spec, text, transportsClosedAfterEach, until, subscribe } from './test-support.ts';
import { MemoryTransport } from './transport.ts';

const open = transportsClosedAfterEach();

const numbered = (topic: string, n: number, key?: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => message(topic, String(i), key ? { key: key(i) } : {}));

describe('consumer groups', () => {
  it('fans out: two groups each get every message once', async () => {
    const broker = freshBroker();
    const a: string[] = [];
    const b: string[] = [];
    await subscribe(open(broker), spec('fan', 'a'), (d) => (a.push(text(d)), void d.ack()));
    await subscribe(open(broker), spec('fan', 'b'), (d) => (b.push(text(d)), void d.ack()));
    await open(broker).send(numbered('fan', 50));
    await until(() => a.length === 50 && b.length === 50);
    await sleep(20);
    const all = Array.from({ length: 50 }, (_, i) => String(i));
    expect(a).toEqual(all);
    expect(b).toEqual(all);
  });

  it('a group created after the publishes reads from the earliest retained message', async () => {
    const broker = freshBroker();
    await open(broker).send(numbered('late', 5));
    const got: string[] = [];
    await subscribe(open(broker), spec('late', 'new-group'), (d) => (got.push(text(d)), void d.ack()));
    await until(() => got.length === 5);
    expect(got).toEqual(['0', '1', '2', '3', '4']);
  });

  it('competing members of one group split the work: both get some, none twice, total exact', async () => {
    const broker = freshBroker();
    const byMember: string[][] = [[], []];
    for (const i of [0, 1]) {
      // Asynchronous acks so both members have work in flight at once.
      await subscribe(open(broker), spec('split', 'g', { maxInFlight: 5 }), (d) => {
        byMember[i]!.push(text(d));
        setTimeout(() => void d.ack(), 1);
      });
    }
    await open(broker).send(numbered('split', 200));
    await until(() => byMember[0]!.length + byMember[1]!.length === 200);
    await sleep(20);
    expect(byMember[0]!.length).toBeGreaterThan(0);
    expect(byMember[1]!.length).toBeGreaterThan(0);
    const all = [...byMember[0]!, ...byMember[1]!];
    expect(new Set(all).size).toBe(200);
    expect(all.length).toBe(200);
  });

  it('keeps per-key order across two members with interleaved keys', async () => {
    const broker = freshBroker();
    const seen = new Map<string, number[]>(); // key -> payload numbers in handling order
    const perMember = [0, 0];
    for (const i of [0, 1]) {
      await subscribe(open(broker), spec('keys', 'g', { maxInFlight: 4 }), (d) => {
        perMember[i]!++;
        const key = d.envelope.key!;
        // Random handling times would reorder a key if the transport let it run on both members.
        setTimeout(() => {
          seen.set(key, [...(seen.get(key) ?? []), Number(text(d))]);
          void d.ack();
        }, Math.random() * 3);
      });
    }
    const keys = ['a', 'b', 'c', 'd', 'e'];
    await open(broker).send(numbered('keys', 300, (i) => keys[i % keys.length]!));
    await until(() => [...seen.values()].reduce((n, v) => n + v.length, 0) === 300);
    for (const [k, key] of keys.entries()) {
      expect(seen.get(key)).toEqual(Array.from({ length: 60 }, (_, j) => j * keys.length + k));
    }
    expect(perMember[0]).toBeGreaterThan(0);
    expect(perMember[1]).toBeGreaterThan(0);
  });

  it('never has more than maxInFlight unsettled per subscription', async () => {
    const broker = freshBroker();
    let inFlight = 0;
    let peak = 0;
    let handled = 0;
    await subscribe(open(broker), spec('bounded', 'g', { maxInFlight: 3 }), (d) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        handled++;
        void d.ack();
      }, 2);
    });
    await open(broker).send(numbered('bounded', 60));
    await until(() => handled === 60);
    expect(peak).toBe(3);
  });

  it('stop() ends new deliveries while unsettled ones stay ackable', async () => {
    const broker = freshBroker();
    const held: Delivery[] = [];
    const first = await subscribe(open(broker), spec('stop', 'g', { maxInFlight: 2 }), (d) => held.push(d));
    await open(broker).send(numbered('stop', 5));
    await until(() => held.length === 2);
    await first.stop!();
    await Promise.all(held.map((d) => d.ack()));
    await sleep(20);
    expect(held.map(text)).toEqual(['0', '1']);
    const rest: string[] = [];
    await subscribe(open(broker), spec('stop', 'g'), (d) => rest.push(text(d)));
    await until(() => rest.length === 3);
    expect(rest).toEqual(['2', '3', '4']); // the acked two are gone for good
  });

  it('close() releases unsettled deliveries to another member with attempt + 1; late settles are no-ops', async () => {
    const broker = freshBroker();
    const held: Delivery[] = [];
    const first = await subscribe(open(broker), spec('release', 'g', { maxInFlight: 3 }), (d) => held.push(d));
    await open(broker).send(numbered('release', 3));
    await until(() => held.length === 3);
    await held[0]!.ack();
    const other: Delivery[] = [];
    await subscribe(open(broker), spec('release', 'g'), (d) => other.push(d));
    await first.close();
    await until(() => other.length === 2);
    // Settling a released delivery changes nothing: no extra copy, no error.
    await held[1]!.nack(0);
    await held[2]!.ack();
    await sleep(20);
    expect(other.map((d) => [text(d), d.attempt])).toEqual([
      ['1', 2],
      ['2', 2],
    ]);
  });

  it('carries 5,000 messages through 10 members exactly once', async () => {
    const broker = freshBroker();
    const counts = new Array<number>(10).fill(0);
    const seen = new Set<string>();
    let duplicates = 0;
    for (let i = 0; i < 10; i++) {
      await subscribe(open(broker), spec('many', 'g', { maxInFlight: 8 }), (d) => {
        counts[i]!++;
        if (seen.has(d.envelope.id)) duplicates++;
        seen.add(d.envelope.id);
        queueMicrotask(() => void d.ack());
      });
    }
    const producer = open(broker);
    const sent = numbered('many', 5000, (i) => `k${i % 97}`);
    for (let i = 0; i < sent.length; i += 500) await producer.send(sent.slice(i, i + 500));
    await until(() => seen.size === 5000, 15_000);
    await sleep(20);
    expect(duplicates).toBe(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('a throwing onDelivery is reported and does not stop dispatch to the others', async () => {
    const broker = freshBroker();
    const got: string[] = [];
    const errors: unknown[] = [];
    await subscribe(open(broker), spec('throws', 'g'), (d) => {
      if (text(d) === '1') throw new Error('bug in callback');
      got.push(text(d));
      void d.ack();
    }, (error) => errors.push(error));
    await open(broker).send(numbered('throws', 3));
    await until(() => got.length === 2 && errors.length === 1);
    expect(got).toEqual(['0', '2']);
    expect(String(errors[0])).toContain('bug in callback');
  });

  it('a subscription closed holding deliveries core never settled nor released (an ack lost in a crash) gives them back', async () => {
    const broker = freshBroker();
    // Driven below core: a sink that takes one delivery and never settles it.
    const taken: Delivery[] = [];
    const sink: DeliverySink = { get room() { return 1 - taken.length; }, stopped: false, deliver: (d) => void taken.push(d), whenRoom: () => new Promise(() => undefined), fail: () => undefined };
    const lost = await new MemoryTransport({ broker }).subscribe(spec('lost', 'g'), sink);
    await open(broker).send(numbered('lost', 2));
    await until(() => taken.length === 1);
    await lost.close();
    const next: Array<[string, number]> = [];
    await subscribe(open(broker), spec('lost', 'g'), (d) => (next.push([text(d), d.attempt]), void d.ack()));
    await until(() => next.length === 2);
    expect(next).toEqual([['0', 2], ['1', 1]]);
  });

  it('Transport.close() releases its unsettled deliveries to a consumer on another transport', async () => {
    const broker = freshBroker();
    const crashed = open(broker);
    const held: Delivery[] = [];
    await subscribe(crashed, spec('crash', 'g'), (d) => held.push(d));
    await open(broker).send(numbered('crash', 4));
    await until(() => held.length === 4);
    await crashed.close();
    const survivor: Array<[string, number]> = [];
    await subscribe(open(broker), spec('crash', 'g'), (d) => (survivor.push([text(d), d.attempt]), void d.ack()));
    await until(() => survivor.length === 4);
    await sleep(20);
    expect(survivor).toEqual([['0', 2], ['1', 2], ['2', 2], ['3', 2]]);
  });
});
