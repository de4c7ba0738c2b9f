import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '@ferry/core';
import { attemptOf, decode, encode, retryHeaders } from './codec.ts';

/** What amqplib hands a consumer for a message published with `encode`'s output (no broker involved). */
function asDelivered(message: OutgoingMessage, extraHeaders: Record<string, unknown> = {}, redelivered = false): ConsumeMessage {
  const { content, options } = encode(message);
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
});
