/**
 * Per-key order on the publish side of FIFO topics: many messages per key published concurrently
 * are coalesced into SendMessageBatch requests, several in flight per queue. SQS stores a message
 * group in the order its messages arrive, so two batches of one key racing each other would
 * reorder the key.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutgoingMessage } from '@ferry/core';
import { encode, Publisher, type QueueInfo, type SendBatch } from '@ferry/sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, rawClient, sleep, sqs, topicName } from './helpers.ts';

const KEYS = 12;
const PER_KEY = 60;

afterAll(() => cleanup('sqs-fifo-order'));

/** Every key's messages, n = 0..PER_KEY-1, interleaved across keys as concurrent producers would. */
function messages(topic: string): OutgoingMessage[] {
  const all: OutgoingMessage[] = [];
  for (let n = 0; n < PER_KEY; n++) {
    for (let k = 0; k < KEYS; k++) all.push({ id: `k${k}-${n}-${Math.random().toString(36).slice(2)}`, type: 'sqs.order', topic, key: `k${k}`, headers: {}, payload: Buffer.from(JSON.stringify({ n })), timestamp: Date.now() });
  }
  return all;
}

/** Receives (and deletes) the queue's messages in the order SQS hands them out; the sequence per key. */
async function storedOrder(client: SQSClient, queue: QueueInfo, count: number): Promise<Map<string, number[]>> {
  const perKey = new Map<string, number[]>();
  let seen = 0;
  for (let empty = 0; seen < count && empty < 5; ) {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], VisibilityTimeout: 60 }));
    if (Messages.length === 0) empty++;
    for (const m of Messages) {
      const meta = JSON.parse(m.MessageAttributes!.ferry!.StringValue!) as { k: string };
      perKey.set(meta.k, [...(perKey.get(meta.k) ?? []), (JSON.parse(m.Body!) as { n: number }).n]);
    }
    seen += Messages.length;
    if (Messages.length > 0) await client.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return perKey;
}

function expectKeyOrder(perKey: Map<string, number[]>): void {
  const expected = Array.from({ length: PER_KEY }, (_, n) => n);
  for (let k = 0; k < KEYS; k++) expect(perKey.get(`k${k}`), `key k${k}`).toEqual(expected);
}

describe('sqs FIFO publish: per-key order', () => {
  it('many messages per key published concurrently through the transport are stored in publish order', async () => {
    const topic = topicName('fifo-order');
    const transport = sqs({ fifoTopics: [topic] });
    const client = rawClient();
    try {
      const queue = await transport.queueOf(topic);
      const all = messages(topic);
      await Promise.all(all.map((m) => transport.send([m])));
      expectKeyOrder(await storedOrder(client, queue, all.length));
    } finally {
      client.destroy();
      await transport.close();
    }
  }, 60_000);

  it('keeps key order when the network lets a later request arrive first', async () => {
    const topic = topicName('fifo-order-jitter');
    const transport = sqs({ fifoTopics: [topic] });
    const client = rawClient();
    const real = Publisher.sendingWith(client);
    // The real server behind a network whose requests take 0-15 ms longer, each its own time.
    const jittery: SendBatch = async (url, entries) => {
      await sleep(Math.random() * 15);
      return real(url, entries);
    };
    try {
      const queue = await transport.queueOf(topic);
      const publisher = new Publisher(transport.config, jittery);
      const all = messages(topic);
      await Promise.all(all.map((message) => publisher.publish(queue, { message, encoded: encode(message) })));
      expectKeyOrder(await storedOrder(client, queue, all.length));
    } finally {
      client.destroy();
      await transport.close();
    }
  }, 60_000);
});
