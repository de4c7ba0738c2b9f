/**
 * A send with each broker's own client, outside Ferry, to a queue of its own: the control that
 * shows the auto-instrumentation patched the library (it records a producer span and injects
 * its context here, where Ferry's suppression does not apply). Returns the trace context the
 * broker delivered with it.
 */
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import amqp from 'amqplib';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { brokers } from '../kafka/helpers.ts';
import { amqpUrl } from '../rabbitmq/helpers.ts';
import { rawClient } from '../sqs/helpers.ts';
import type { Broker } from './brokers.ts';

export async function rawSend(broker: Broker, name: string): Promise<string | undefined> {
  if (broker.name === 'kafka') {
    const producer = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const message: Message = { value: 'raw' };
    await producer.send({ topic: name, messages: [message] });
    await producer.disconnect();
    return String(message.headers?.traceparent ?? '') || undefined; // the instrumentation injects into the message object
  }
  if (broker.name === 'rabbitmq') {
    const connection = await amqp.connect(amqpUrl());
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue(name, { autoDelete: true });
      channel.sendToQueue(name, Buffer.from('raw'));
      const got = await channel.get(name, { noAck: true });
      return got ? String(got.properties.headers?.traceparent ?? '') || undefined : undefined;
    } finally {
      await connection.close();
    }
  }
  const sqs = rawClient();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'raw' }));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }));
    return Messages[0]?.MessageAttributes?.traceparent?.StringValue;
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    sqs.destroy();
  }
}
