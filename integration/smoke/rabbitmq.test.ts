/** Raw amqplib against the harness's RabbitMQ: one message through a queue. */
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';

let connection: ChannelModel;

beforeAll(async () => {
  connection = await amqp.connect(endpointsFromEnv().amqp.url);
});
afterAll(() => connection.close());

describe('rabbitmq smoke (raw amqplib)', () => {
  it('sends to a queue and consumes the message with body and properties intact', async () => {
    const channel = await connection.createChannel();
    const queue = uniqueName('smoke-amqp');
    await channel.assertQueue(queue, { durable: false, autoDelete: false });

    const sent = channel.sendToQueue(queue, Buffer.from('hello amqp'), {
      messageId: 'm-1',
      contentType: 'text/plain',
      headers: { 'x-ferry': 'smoke' },
    });
    expect(sent).toBe(true);

    const message = await new Promise<ConsumeMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
      void channel.consume(queue, (msg) => {
        if (!msg) return;
        clearTimeout(timer);
        channel.ack(msg);
        resolve(msg);
      });
    });
    expect(message.content.toString()).toBe('hello amqp');
    expect(message.properties.messageId).toBe('m-1');
    expect(message.properties.contentType).toBe('text/plain');
    expect(message.properties.headers?.['x-ferry']).toBe('smoke');
    expect(message.fields.redelivered).toBe(false);

    await channel.deleteQueue(queue);
    await channel.close();
  });

  it('has the consistent-hash exchange type (plugin enabled by the harness)', async () => {
    const channel = await connection.createChannel();
    const exchange = uniqueName('smoke-chx');
    await channel.assertExchange(exchange, 'x-consistent-hash', { durable: false, autoDelete: true });
    await channel.deleteExchange(exchange);
    await channel.close();
  });
});
