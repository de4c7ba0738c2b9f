import { CapabilityError, ClosedError, ConfigError, MessageTooLargeError } from '@ferry/core';
import type { Delivery } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { createTransport, MemoryTransport, resetMemoryBroker } from './index.ts';
import { freshBroker, message, spec, text, transportsClosedAfterEach, until, subscribe } from './test-support.ts';

const open = transportsClosedAfterEach();

describe('MemoryTransport send and envelope', () => {
  it('round-trips every envelope field byte-exact: binary, unicode and empty payloads', async () => {
    const broker = freshBroker();
    const producer = open(broker);
    const consumer = open(broker);
    const binary = new Uint8Array(256).map((_, i) => i);
    const sent = [
      message('rt', binary, { key: 'k-ü', headers: { 'x-bin': 'a\u0000b', 'x-uni': 'Grüße, 世界 🚢' } }),
      message('rt', 'Grüße, 世界 🚢 \u{1F600}', { type: 'order.placed.v2' }),
      message('rt', new Uint8Array(0), { headers: {} }),
    ];
    await producer.send(sent);
    const got: Delivery[] = [];
    await subscribe(consumer, spec('rt', 'g'), (d) => got.push(d));
    await until(() => got.length === 3);
    expect(got.map((d) => d.envelope)).toEqual(sent.map(({ delayMs: _d, priority: _p, ...envelope }) => envelope));
    expect(Array.from(got[0]!.envelope.payload)).toEqual(Array.from(binary));
    expect(got[2]!.envelope.payload.byteLength).toBe(0);
    expect(got.map((d) => d.attempt)).toEqual([1, 1, 1]);
    expect(got.map((d) => d.coordinates)).toEqual([0, 1, 2].map((offset) => ({ topic: 'rt', group: 'g', partition: 0, offset })));
  });

  it('copies payloads on send, so a caller reusing its buffer changes nothing', async () => {
    const broker = freshBroker();
    const t = open(broker);
    const buffer = new TextEncoder().encode('first');
    const nodeBuffer = Buffer.from('second'); // Buffer#slice shares memory: must still be copied
    await t.send([message('copy', buffer), message('copy', nodeBuffer)]);
    buffer.set(new TextEncoder().encode('XXXXX'));
    nodeBuffer.write('YYYYYY');
    const got: Delivery[] = [];
    await subscribe(t, spec('copy', 'g'), (d) => got.push(d));
    await until(() => got.length === 2);
    expect(got.map(text)).toEqual(['first', 'second']);
    // A handler scribbling on its payload does not change what the next group gets.
    got[0]!.envelope.payload.fill(0);
    const again: Delivery[] = [];
    await subscribe(t, spec('copy', 'other'), (d) => again.push(d));
    await until(() => again.length === 2);
    expect(again.map(text)).toEqual(['first', 'second']);
  });

  it('refuses a message over maxMessageBytes, naming the limit, and appends none of its batch', async () => {
    const broker = freshBroker();
    const t = open(broker, { maxMessageBytes: 100 });
    expect(t.capabilities.maxMessageBytes).toBe(100);
    const error = await t.send([message('big', 'ok'), message('big', new Uint8Array(101))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).limit).toBe(100);
    expect((error as MessageTooLargeError).size).toBe(101);
    expect((error as Error).message).toContain('100 bytes');
    await t.send([message('big', new Uint8Array(100))]); // exactly at the limit passes
    const got: Delivery[] = [];
    await subscribe(t, spec('big', 'g'), (d) => got.push(d));
    await until(() => got.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(got.map((d) => d.envelope.payload.byteLength)).toEqual([100]);
  });

  it('refuses priorities outside 0..255 and delays over the maximum with a CapabilityError', async () => {
    const t = open(freshBroker());
    await expect(t.send([message('p', 'x', { priority: 256 })])).rejects.toBeInstanceOf(CapabilityError);
    await expect(t.send([message('p', 'x', { priority: -1 })])).rejects.toBeInstanceOf(CapabilityError);
    await expect(t.send([message('p', 'x', { delayMs: 2_147_483_648 })])).rejects.toBeInstanceOf(CapabilityError);
    await expect(t.send([message('p', 'x', { priority: 255, delayMs: 2_147_483_647 })])).resolves.toBeUndefined();
  });

  it('rejects send and subscribe after close with ClosedError; close is idempotent', async () => {
    const t = open(freshBroker());
    await t.close();
    await t.close();
    await expect(t.send([message('c', 'x')])).rejects.toBeInstanceOf(ClosedError);
    await expect(subscribe(t, spec('c', 'g'), () => {})).rejects.toBeInstanceOf(ClosedError);
  });

  it('declares its capabilities', () => {
    expect(open(freshBroker()).capabilities).toEqual({
      orderingByKey: true,
      fanOut: true,
      replay: ['earliest', 'offset', 'timestamp'],
      delay: { maxMs: 2_147_483_647 },
      priority: { max: 255 },
      nativeDeadLetter: false,
      transactions: false,
      maxMessageBytes: 1_048_576,
    });
  });
});

describe('createTransport and options', () => {
  it('memory://<name> shares a broker between transports; memory:// is "default"', async () => {
    resetMemoryBroker('default');
    resetMemoryBroker('orders-test');
    const a = createTransport(new URL('memory://orders-test'), {});
    const b = createTransport(new URL('memory://orders-test'), {});
    const other = createTransport(new URL('memory://'), {});
    const viaClass = new MemoryTransport();
    try {
      await a.send([message('shared', 'one')]);
      await viaClass.send([message('shared', 'default-one')]);
      const onNamed: string[] = [];
      const onDefault: string[] = [];
      await subscribe(b, spec('shared', 'g'), (d) => onNamed.push(text(d)));
      await subscribe(other, spec('shared', 'g'), (d) => onDefault.push(text(d)));
      await until(() => onNamed.length === 1 && onDefault.length === 1);
      expect(onNamed).toEqual(['one']);
      expect(onDefault).toEqual(['default-one']);
    } finally {
      await Promise.all([a, b, other, viaClass].map((t) => t.close()));
      resetMemoryBroker('default');
      resetMemoryBroker('orders-test');
    }
  });

  it('reads maxMessageBytes from the query string; options win over it', () => {
    expect(createTransport(new URL(`memory://${freshBroker()}?maxMessageBytes=2048`), {}).capabilities.maxMessageBytes).toBe(2048);
    expect(createTransport(new URL(`memory://${freshBroker()}?maxMessageBytes=2048`), { maxMessageBytes: 10 }).capabilities.maxMessageBytes).toBe(10);
  });

  it('names the bad option in a ConfigError', () => {
    const bad = (url: string, options: Record<string, unknown>) => {
      try {
        createTransport(new URL(url), options);
      } catch (error) {
        return error;
      }
      throw new Error('no error');
    };
    const unknown = bad('memory://', { nope: 1 });
    expect(unknown).toBeInstanceOf(ConfigError);
    expect((unknown as Error).message).toContain('nope');
    expect((bad('memory://', { maxMessageBytes: 0 }) as ConfigError).path).toBe('transport.maxMessageBytes');
    expect((bad('memory://?maxMessageBytes=abc', {}) as ConfigError).path).toBe('url.maxMessageBytes');
    expect((bad('memory://?retain=1', {}) as ConfigError).message).toContain('retain');
  });

  it('keeps a broker\'s retention fixed and refuses a conflicting value', () => {
    const broker = freshBroker();
    open(broker, { retainMessages: 10 });
    open(broker); // no value: takes the broker's
    expect(() => open(broker, { retainMessages: 11 })).toThrow(ConfigError);
  });
});
