import { FerryError } from '@ferry/core';
import type { ChannelModel } from 'amqplib';
import { exchangeExists } from './rabbitmq.ts';
import type { OnTapped, Tap } from './tapped.ts';

/** What the RabbitMQ transport puts in headers for itself (packages/rabbitmq/src/codec.ts) or the broker adds. */
const OWN = /^x-ferry-|^x-death$|^x-first-death-|^x-last-death-|^x-delivery-count$|^x-received-from$/;

/**
 * Reads what is published to `topic` from now on, taking nothing from any group: a server-named,
 * exclusive, auto-delete queue bound to the topic's exchange with `#` gets a copy of every
 * message, and disappears with the connection (even when the process is killed).
 */
export async function rabbitMqTap(connection: ChannelModel, topic: string, onMessage: OnTapped): Promise<Tap> {
  try {
    return await open(connection, topic, onMessage);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

async function open(connection: ChannelModel, topic: string, onMessage: OnTapped): Promise<Tap> {
  if (!(await exchangeExists(connection, topic))) {
    throw new FerryError('FERRY_TOPIC_MISSING', `RabbitMQ has no exchange \`${topic}\` (a Ferry topic is an exchange of that name). Check the name and vhost (ferry doctor <url> --topic ${topic} tells), or publish to it first.`);
  }
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, topic, '#');
  await channel.consume(
    queue,
    (msg) => {
      if (!msg) return;
      const raw = (msg.properties.headers ?? {}) as Record<string, unknown>;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(raw)) if (!OWN.test(name) && value !== undefined && value !== null) headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean);
      if (typeof msg.properties.contentType === 'string') headers['ferry-content-type'] = msg.properties.contentType;
      const text = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
      onMessage({
        topic,
        id: text(raw['x-ferry-id']) ?? text(msg.properties.messageId) ?? '',
        type: text(raw['x-ferry-type']) ?? text(msg.properties.type) ?? '',
        key: text(raw['x-ferry-key']),
        headers,
        payload: msg.content,
        timestamp: typeof raw['x-ferry-timestamp'] === 'number' ? raw['x-ferry-timestamp'] : typeof msg.properties.timestamp === 'number' ? msg.properties.timestamp * 1000 : 0,
        at: `routing key ${msg.fields.routingKey}`,
      });
    },
    { noAck: true },
  );
  return { describe: `exclusive auto-delete queue ${queue}`, close: () => connection.close() };
}
