import { describe, expect, it } from 'vitest';
import { DecodeError, HEADERS, type Envelope } from '@ferry/core/spi';
import { COMPACT, decode, encode, H, packEnvelope, unpackEnvelope, type WireFormat } from './codec.ts';
import type { DriverMessage, ProducerRecord } from './driver.ts';
import { resolveConfig } from './options.ts';

const base: Envelope = {
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  type: 'order.placed',
  topic: 'orders',
  key: 'customer-7',
  headers: { [HEADERS.contentType]: 'application/json', 'x-request-id': 'r-1', uni: 'ünï 😀', traceparent: '00-abc-def-01' },
  payload: Buffer.from('{"n":1}'),
  timestamp: 1_764_547_200_123,
};

/** A record as kafkajs hands it to a consumer: header values are Buffers. */
function fetched(r: { key: Buffer | null; value: Buffer; headers: Record<string, string | Buffer>; timestamp: string }, offset = 5): DriverMessage {
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8')]));
  return { offset: String(offset), key: r.key, value: r.value, headers, timestamp: r.timestamp, attributes: 0, size: 0 } as unknown as DriverMessage;
}

const roundTrip = (message: Envelope, format: WireFormat) => decode(message.topic, 2, fetched(encode(message, {}, format)));

describe('kafka codec', () => {
  it.each<[string, WireFormat]>([
    ['compact', COMPACT],
    ['headers', { form: 'headers' }],
    ['cloudevents', { form: 'cloudevents' }],
  ])('round-trips an envelope exactly in the %s form', (form, format) => {
    const decoded = roundTrip(base, format);
    expect(decoded.error).toBeUndefined();
    expect(decoded.form).toBe(form);
    expect({ ...decoded.envelope, payload: Buffer.from(decoded.envelope.payload) }).toEqual(base);
  });

  it('compact writes one envelope header, not a content-type header as well', () => {
    const r = encode(base);
    expect(Object.keys(r.headers).sort()).toEqual([H.envelope, 'traceparent', 'uni', 'x-request-id']);
    expect(r.headers[H.envelope]).toBe(`1,36,12,16;${base.id}order.placedapplication/json`);
  });

  it('compact keeps an absent content type absent, and an id with any characters (lengths, not separators)', () => {
    const odd: Envelope = { ...base, id: 'ü;1,2,3;\n😀', type: '', headers: {} };
    const decoded = roundTrip(odd, COMPACT);
    expect(decoded.envelope).toMatchObject({ id: odd.id, type: '', headers: {} });
  });

  it('reads records in the headers form older Ferry versions write, with attempt, due and topic of a retry copy', () => {
    const old = { key: null, value: Buffer.from('{}'), timestamp: '7', headers: { 'ferry-id': 'old-1', 'ferry-type': 't', 'ferry-content-type': 'application/json', 'ferry-attempt': '3', 'ferry-due': '99', 'ferry-topic': 'orders', a: 'b' } };
    const decoded = decode('orders.g.retry', 0, fetched(old));
    expect(decoded).toMatchObject({ attempt: 3, dueAt: 99, form: 'headers' });
    expect(decoded.envelope).toMatchObject({ id: 'old-1', type: 't', topic: 'orders', headers: { 'ferry-content-type': 'application/json', a: 'b' }, timestamp: 7 });
  });

  it('writes a retry copy with attempt, due and topic headers beside the envelope header, and reads them back', () => {
    const copy = encode(base, { recordTopic: 'orders.g.retry', attempt: 2, dueAt: 1234 });
    expect(copy.headers).toMatchObject({ [H.attempt]: '2', [H.due]: '1234', [H.topic]: 'orders' });
    const decoded = decode('orders.g.retry', 1, fetched(copy));
    expect(decoded).toMatchObject({ attempt: 2, dueAt: 1234, form: 'compact' });
    expect(decoded.envelope.topic).toBe('orders');
    expect(decoded.envelope.headers).toEqual(base.headers);
  });

  it.each([
    ['no length prefix', 'garbage'],
    ['a newer version', `2,1,1,-;ab`],
    ['lengths that do not add up', `1,36,12,16;${base.id}order.placed`],
    ['a length that is not a number', '1,x,1,-;ab'],
    ['an empty id', '1,0,1,-;a'],
  ])('a malformed envelope header (%s) is a DecodeError naming the header, not a throw', (_, value) => {
    const decoded = decode('orders', 3, fetched({ key: null, value: Buffer.from('{}'), timestamp: '1', headers: { [H.envelope]: value, 'x-keep': 'yes' } }, 42));
    expect(decoded.error).toBeInstanceOf(DecodeError);
    expect(decoded.error!.message).toContain('`ferry-envelope`');
    expect(decoded.envelope).toMatchObject({ id: 'orders-3-42', type: '', headers: { 'x-keep': 'yes' } });
  });

  it('unpackEnvelope refuses bytes that are not UTF-8', () => {
    const bad = Buffer.concat([Buffer.from('1,2,1,-;'), Buffer.from([0xff, 0xfe]), Buffer.from('t')]);
    expect(() => unpackEnvelope(bad)).toThrow(/`ferry-envelope`.*not UTF-8/);
    expect(unpackEnvelope(packEnvelope('ü', 'tÿpe', 'a/b'))).toEqual({ id: 'ü', type: 'tÿpe', contentType: 'a/b' });
  });

  it('cloudevents writes the Kafka binding: ce_ headers and content-type, no ferry- envelope headers', () => {
    const r = encode(base, {}, { form: 'cloudevents', cloudEventsSource: 'https://shop.example/orders' });
    expect(r.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: base.id,
      ce_type: 'order.placed',
      ce_source: 'https://shop.example/orders',
      ce_time: '2025-12-01T00:00:00.123Z',
      'content-type': 'application/json',
      'x-request-id': 'r-1',
      uni: 'ünï 😀',
      traceparent: '00-abc-def-01',
    });
    // A source other than the default comes back as a ce_source header, so a dead letter keeps it.
    expect(decode('orders', 0, fetched(r)).envelope.headers['ce_source']).toBe('https://shop.example/orders');
  });

  it('reads a record as another CloudEvents producer writes it (binary mode): id, type, time, content type, extensions', () => {
    const foreign = {
      key: Buffer.from('cust_9d23'),
      value: Buffer.from('{"orderId":"7c1f9a2e"}'),
      timestamp: '1',
      headers: {
        ce_specversion: '1.0',
        ce_type: 'com.example.orders.placed.v1',
        ce_source: '/services/order-service',
        ce_id: '01HZQF3K7T0RPMK6N3CXVQXX2A',
        ce_subject: 'order-7c1f9a2e',
        ce_time: '2026-05-22T14:08:17+02:00',
        'content-type': 'application/json',
      },
    };
    const decoded = decode('orders.placed', 3, fetched(foreign));
    expect(decoded.error).toBeUndefined();
    expect(decoded.envelope).toMatchObject({
      id: '01HZQF3K7T0RPMK6N3CXVQXX2A',
      type: 'com.example.orders.placed.v1',
      key: 'cust_9d23',
      timestamp: Date.parse('2026-05-22T12:08:17Z'),
      headers: { [HEADERS.contentType]: 'application/json', ce_source: '/services/order-service', ce_subject: 'order-7c1f9a2e' },
    });
    expect(decoded.envelope.headers).not.toHaveProperty('content-type');
  });

  it('a CloudEvents record without an id, or with a bad time, is a DecodeError naming the header', () => {
    const headers = { ce_specversion: '1.0', ce_type: 't', ce_source: '/s', ce_time: 'yesterday' };
    expect(decode('t', 0, fetched({ key: null, value: Buffer.alloc(0), timestamp: '1', headers })).error?.message).toMatch(/`ce_id`/);
    expect(decode('t', 0, fetched({ key: null, value: Buffer.alloc(0), timestamp: '1', headers: { ...headers, ce_id: 'x' } })).error?.message).toMatch(/`ce_time`/);
  });

  it('ce_ headers without ce_specversion are ordinary headers', () => {
    const decoded = decode('t', 0, fetched({ key: null, value: Buffer.alloc(0), timestamp: '1', headers: { ce_id: 'x', 'ferry-id': 'f' } }));
    expect(decoded.envelope).toMatchObject({ id: 'f', headers: { ce_id: 'x' } });
  });

  it('the envelope option is validated, from the object and the URL query', () => {
    expect(resolveConfig(new URL('kafka://h:9092')).envelope).toBe('compact');
    expect(resolveConfig(new URL('kafka://h:9092?envelope=headers')).envelope).toBe('headers');
    expect(() => resolveConfig(new URL('kafka://h:9092'), { envelope: 'json' })).toThrow(/envelope/);
    expect(() => resolveConfig(new URL('kafka://h:9092?envelope=binary'))).toThrow(/envelope/);
  });

  it('the records of a batch carry the same content in fewer headers', () => {
    const sizes = (r: ProducerRecord) => Object.keys(r.headers).length;
    expect(sizes(encode(base, {}, { form: 'headers' })) - sizes(encode(base))).toBe(2);
  });
});
