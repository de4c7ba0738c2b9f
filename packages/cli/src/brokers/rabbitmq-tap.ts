import { FerryError } from '@ferry/core';
import { decodeMessage } from '@ferry/rabbitmq';
import type { ChannelModel } from 'amqplib';
import { exchangeExists } from './rabbitmq.ts';
import type { OnTapped, Tap } from './tapped.ts';

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
      // The transport's own reader: AMQP properties or CloudEvents, its own and the broker's headers left out.
      const envelope = decodeMessage(msg, topic);
      onMessage({
        topic,
        id: envelope.id,
        type: envelope.type,
        key: envelope.key,
        headers: envelope.headers,
        payload: msg.content,
        timestamp: envelope.timestamp,
        at: `routing key ${msg.fields.routingKey}`,
      });
    },
    { noAck: true },
  );
  return { describe: `exclusive auto-delete queue ${queue}`, close: () => connection.close() };
}
