/**
 * `envelope: 'cloudevents'` on the real broker: a producer writing the CloudEvents AMQP binding
 * (binary mode) is read by a consumer with the default options, retried and dead-lettered; the
 * wire carries each attribute once; and a message as another CloudEvents producer publishes it
 * reads as a proper envelope.
 */
import amqp from 'amqplib';
import { createClient, defineMessage, NonRetryableError, type Client } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { amqpUrl, cleanup, rabbit, topicName, waitFor } from './helpers.ts';

const clients: Client[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 })));
  await cleanup(...prefixes);
});

describe('rabbitmq: CloudEvents binary mode', () => {
  it('published as CloudEvents, read by a default consumer: retried, dead-lettered with its attributes, each on the wire once', async () => {
    const topic = topicName('ce');
    prefixes.push(topic);
    const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic });
    const producer = await createClient(rabbit({ envelope: 'cloudevents', cloudEventsSource: 'https://shop.example/orders' }));
    const consumerSide = await createClient(rabbit());
    clients.push(producer, consumerSide);
    const seen: Array<{ n: number; id: string; attempt: number; timestamp: number; headers: Record<string, string> }> = [];
    const dead: string[] = [];
    await consumerSide
      .consumer({ group: 'app', retry: { attempts: 2, initialDelayMs: 50, jitter: 0 }, hooks: { onError: () => undefined, onDeadLetter: (ctx) => void dead.push(ctx.envelope.id) } })
      .handle(Order, (order, ctx) => {
        if (order.n === 1 && ctx.attempt === 1) throw new Error('retried once');
        if (order.n === 2) throw new NonRetryableError('poison');
        seen.push({ n: order.n, id: ctx.envelope.id, attempt: ctx.attempt, timestamp: ctx.envelope.timestamp, headers: { ...ctx.envelope.headers } });
      })
      .start();
    // A raw reader of the topic's exchange (the consumer declared it), to see the wire.
    const connection = await amqp.connect(amqpUrl());
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, topic, '#');
    const wire: amqp.ConsumeMessage[] = [];
    await channel.consume(queue, (m) => void (m && wire.push(m)), { noAck: true });
    const before = Date.now();
    for (const n of [0, 1, 2]) await producer.producer().publish(Order, { n }, { id: `ce-${n}`, headers: { tenant: 'acme' } });
    await waitFor(() => seen.length >= 2 && dead.length >= 1 && wire.length >= 3, 20_000, () => `2 handled, 1 dead letter, 3 on the wire (${seen.length}, ${dead.length}, ${wire.length})`);
    await connection.close();

    expect(seen.map((s) => [s.n, s.id, s.attempt])).toEqual([[0, 'ce-0', 1], [1, 'ce-1', 2]]);
    expect(seen[0]!.headers).toEqual({ tenant: 'acme', 'ferry-content-type': 'application/json', ce_source: 'https://shop.example/orders' });
    expect(seen[0]!.timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(dead).toEqual(['ce-2']);
    const first = wire.find((m) => m.properties.headers?.['cloudEvents:id'] === 'ce-0')!;
    expect(first.properties.contentType).toBe('application/json');
    expect(first.properties.messageId).toBeUndefined();
    expect(first.properties.type).toBeUndefined();
    expect(first.properties.headers).toMatchObject({ 'cloudEvents:specversion': '1.0', 'cloudEvents:type': 'order.placed', 'cloudEvents:source': 'https://shop.example/orders', tenant: 'acme' });
    expect(Object.keys(first.properties.headers ?? {}).filter((h) => /content-type/i.test(h))).toEqual([]);
  });

  it('reads a message as another CloudEvents producer publishes it: id, type, time, content type, extensions', async () => {
    const topic = topicName('ce-foreign');
    prefixes.push(topic);
    const Shipped = defineMessage('com.example.shipped', z.object({ parcel: z.string() }), { topic });
    const client = await createClient(rabbit());
    clients.push(client);
    const seen: Array<{ parcel: string; id: string; timestamp: number; headers: Record<string, string> }> = [];
    await client.consumer({ group: 'app' }).handle(Shipped, (s, ctx) => void seen.push({ parcel: s.parcel, id: ctx.envelope.id, timestamp: ctx.envelope.timestamp, headers: { ...ctx.envelope.headers } })).start();
    const connection = await amqp.connect(amqpUrl());
    const channel = await connection.createConfirmChannel();
    channel.publish(topic, 'com.example.shipped', Buffer.from(JSON.stringify({ parcel: 'p-4' })), {
      persistent: true,
      contentType: 'application/json',
      headers: {
        'cloudEvents:specversion': '1.0',
        'cloudEvents:id': 'evt-4',
        'cloudEvents:type': 'com.example.shipped',
        'cloudEvents:source': '/warehouse/7',
        'cloudEvents:time': '2026-05-22T14:08:17.5Z',
        'cloudEvents:subject': 'parcel-4',
      },
    });
    await channel.waitForConfirms();
    await connection.close();
    await waitFor(() => seen.length >= 1, 15_000, () => 'the foreign event handled');
    expect(seen[0]).toEqual({
      parcel: 'p-4',
      id: 'evt-4',
      timestamp: Date.parse('2026-05-22T14:08:17.5Z'),
      headers: { 'ferry-content-type': 'application/json', ce_source: '/warehouse/7', ce_subject: 'parcel-4' },
    });
  });
});
