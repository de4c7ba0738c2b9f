/** Raw @aws-sdk/client-sqs against the harness's SQS endpoint (ElasticMQ locally). */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';

const sqsEndpoint = endpointsFromEnv().sqs;
const sqs = new SQSClient({
  endpoint: sqsEndpoint.endpoint,
  region: sqsEndpoint.region,
  credentials: { accessKeyId: sqsEndpoint.accessKeyId, secretAccessKey: sqsEndpoint.secretAccessKey },
});
const queues: string[] = [];

afterAll(async () => {
  await Promise.all(queues.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
  sqs.destroy();
});

async function createQueue(name: string, attributes?: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  queues.push(QueueUrl);
  return QueueUrl;
}

describe('sqs smoke (raw @aws-sdk/client-sqs)', () => {
  it('sends, receives and deletes one message with body and attribute intact', async () => {
    const name = uniqueName('smoke-sqs');
    const queueUrl = await createQueue(name);
    // The SDK sends to the QueueUrl's host: it must be the endpoint the tests reach.
    expect(new URL(queueUrl).host).toBe(new URL(sqsEndpoint.endpoint).host);

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'hello sqs',
        MessageAttributes: { 'x-ferry': { DataType: 'String', StringValue: 'smoke' } },
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    expect(Messages).toHaveLength(1);
    const [message] = Messages;
    expect(message?.Body).toBe('hello sqs');
    expect(message?.MessageAttributes?.['x-ferry']?.StringValue).toBe('smoke');

    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }));
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
    );
    expect(again.Messages ?? []).toEqual([]);
  });

  it('keeps the order of a FIFO message group', async () => {
    const queueUrl = await createQueue(`${uniqueName('smoke-fifo')}.fifo`, {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
    });
    for (const body of ['first', 'second', 'third']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: 'g1' }));
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['first', 'second', 'third']);
  });
});
