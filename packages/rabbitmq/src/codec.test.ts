import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '@ferry/core';
import { attemptOf, decode, encode, retryHeaders, type WireFormat } from './codec.ts';
import { resolveConfig } from './options.ts';

/** What amqplib hands a consumer for a message published with `encode`'s output (no broker involved). */
function asDelivered(message: OutgoingMessage, extraHeaders: Record<string, unknown> = {}, redelivered = false, format?: WireFormat): ConsumeMessage {
  const { content, options } = encode(message, format);
  return {
    content: Buffer.from(content),
    fields: { deliveryTag: 1, redelivered, exchange: message.topic, routingKey: message.type, consumerTag: 'c' },
    properties: {
      contentType: options.contentType,
      contentEncoding: undefined,
      headers: { ...options.headers, ...extraHeaders },
      deliveryMode: 2,
      priority: options.priority,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: options.messageId,
      timestamp: options.timestamp,
      type: options.type,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

const base: OutgoingMessage = {
  id: 'id-1',
  type: 'order.placed',
  topic: 'orders',
  key: 'k',
  headers: { 'ferry-content-type': 'application/json', 'x-request-id': 'r-1', uni: 'ü😀' },
  payload: new Uint8Array([0, 1, 2, 255]),
  timestamp: 1_700_000_000_123,
};

describe('rabbitmq codec', () => {
  it('round-trips the envelope, the content type through the AMQP property', () => {
    const { options } = encode(base);
    expect(options.contentType).toBe('application/json');
    expect(options.headers).not.toHaveProperty('ferry-content-type');
    const envelope = decode(asDelivered(base), 'orders');
    expect(envelope).toEqual({ id: base.id, type: base.type, topic: 'orders', key: 'k', headers: base.headers, payload: base.payload, timestamp: base.timestamp });
  });

  it('keeps long ids and types in headers (AMQP short strings hold 255 bytes)', () => {
    const long = { ...base, id: 'é'.repeat(200), type: 't'.repeat(256), key: undefined };
    const { options } = encode(long);
    expect(options.messageId).toBeUndefined();
    const envelope = decode(asDelivered(long), 'orders');
    expect(envelope.id).toBe(long.id);
    expect(envelope.type).toBe(long.type);
    expect(envelope.key).toBeUndefined();
  });

  it('drops the headers the broker adds', () => {
    const envelope = decode(asDelivered(base, { 'x-death': [{ count: 1 }], 'x-delivery-count': 2, 'x-first-death-queue': 'q' }), 'orders');
    expect(envelope.headers).toEqual(base.headers);
  });

  it('counts attempts: retry header plus quorum delivery count, or the redelivered flag', () => {
    expect(attemptOf(asDelivered(base))).toBe(1);
    expect(attemptOf(asDelivered(base, {}, true))).toBe(2);
    expect(attemptOf(asDelivered(base, { 'x-delivery-count': 2 }, true))).toBe(3);
    expect(attemptOf(asDelivered(base, { 'x-ferry-attempt': 3 }))).toBe(3);
    expect(attemptOf(asDelivered(base, { 'x-ferry-attempt': 3, 'x-delivery-count': 1 }, true))).toBe(4);
    const copy = retryHeaders(asDelivered(base, { 'x-death': [], 'x-delivery-count': 1 }), 5, 'orders');
    expect(copy).toMatchObject({ 'x-ferry-attempt': 5, 'x-ferry-topic': 'orders', 'x-request-id': 'r-1' });
    expect(copy).not.toHaveProperty('x-death');
    expect(copy).not.toHaveProperty('x-delivery-count');
  });

  describe('CloudEvents binary mode (AMQP binding)', () => {
    const ce: WireFormat = { form: 'cloudevents', cloudEventsSource: 'https://shop.example/orders' };

    it('writes each attribute once: cloudEvents: headers, the content type as the AMQP property', () => {
      const { options } = encode(base, ce);
      expect(options.contentType).toBe('application/json');
      expect(options.messageId).toBeUndefined();
      expect(options.type).toBeUndefined();
      expect(options.headers).toEqual({
        'cloudEvents:specversion': '1.0',
        'cloudEvents:id': 'id-1',
        'cloudEvents:type': 'order.placed',
        'cloudEvents:source': 'https://shop.example/orders',
        'cloudEvents:time': '2023-11-14T22:13:20.123Z',
        'x-ferry-key': 'k',
        'x-request-id': 'r-1',
        uni: 'ü😀',
      });
    });

    it('round-trips the envelope (a source other than the default kept as the ce_source header)', () => {
      const envelope = decode(asDelivered(base, {}, false, ce), 'orders');
      expect(envelope).toEqual({ ...base, headers: { ...base.headers, ce_source: 'https://shop.example/orders' } });
      const plain = decode(asDelivered(base, {}, false, { form: 'cloudevents' }), 'orders');
      expect(plain).toEqual({ ...base });
    });

    it('reads a message as another CloudEvents producer writes it: native AMQP timestamp, extensions, no Ferry headers', () => {
      const foreign = asDelivered(base);
      foreign.properties.messageId = undefined;
      foreign.properties.type = undefined;
      foreign.properties.timestamp = undefined;
      foreign.properties.contentType = 'application/cloudevents-data+json';
      foreign.properties.headers = {
        'cloudEvents:specversion': '1.0',
        'cloudEvents:id': Buffer.from('evt-9'),
        'cloudEvents:type': 'com.example.shipped',
        'cloudEvents:source': '/warehouse',
        'cloudEvents:time': 1_700_000_000,
        'cloudEvents:subject': 'parcel-4',
      };
      expect(decode(foreign, 'orders')).toMatchObject({
        id: 'evt-9',
        type: 'com.example.shipped',
        timestamp: 1_700_000_000_000,
        headers: { 'ferry-content-type': 'application/cloudevents-data+json', ce_source: '/warehouse', ce_subject: 'parcel-4' },
      });
    });

    it('a CloudEvent without an id is read as a plain AMQP message, its attributes kept as headers', () => {
      const broken = asDelivered(base);
      broken.properties.headers = { 'cloudEvents:specversion': '1.0', 'cloudEvents:type': 't', 'cloudEvents:source': '/s' };
      expect(decode(broken, 'orders')).toMatchObject({ id: 'id-1', type: 'order.placed', headers: { 'cloudEvents:type': 't', 'cloudEvents:specversion': '1.0' } });
    });

    it('the option is validated, from the object and the URL query', () => {
      expect(resolveConfig(new URL('amqp://h'), {}).envelope).toBe('properties');
      expect(resolveConfig(new URL('amqp://h?envelope=cloudevents'), {}).envelope).toBe('cloudevents');
      expect(() => resolveConfig(new URL('amqp://h'), { envelope: 'compact' })).toThrow(/envelope/);
    });
  });
});
