/**
 * Issue 11: an SQS message whose `ferry` attribute is JSON of the wrong shape (sent by another
 * tool, or corrupted) is dead-lettered with a reason naming the attribute, and never holds a
 * prefetch slot: good messages behind it are handled by a consumer with prefetch 1.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createClient, DEAD_LETTER_GROUP, defineMessage, HEADERS } from '@ferry/core';
import { encode } from '@ferry/sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spec, subscribe } from '../harness/index.ts';
import { cleanup, rawClient, sqs, topicName, waitFor } from './helpers.ts';

const BAD_SHAPES = ['{}', '[]', '"str"', '{"id":5,"headers":"x"}', 'null', '{"i":"x","t":"sqs.good","o":"t","s":1,"h":{"a":1}}', 'not json'];

afterAll(() => cleanup('sqs-undecodable'));

describe('sqs: a malformed `ferry` attribute', () => {
  it('is dead-lettered with a reason naming the attribute, and good messages behind it are handled with prefetch 1', async () => {
    const topic = topicName('undecodable');
    const Good = defineMessage('sqs.good', z.object({ n: z.number() }), { topic });
    const transport = sqs();
    const admin = rawClient();
    const client = await createClient(transport);
    const handled: number[] = [];
    const errors: unknown[] = [];
    const deadLetters: Array<{ id: string; reason: string | undefined; kind: string | undefined; attribute: string | undefined }> = [];
    try {
      await client
        .consumer({ group: 'g', concurrency: 1, prefetch: 1, hooks: { onError: (error) => void errors.push(error) } })
        .handle(Good, (item) => void handled.push(item.n))
        .start();
      const { url } = await transport.queueOf(topic);
      // Interleaved, one at a time so SQS hands them out in this order: bad, good, bad, good, ...
      const sentBad: string[] = [];
      for (const [n, shape] of BAD_SHAPES.entries()) {
        const { MessageId } = await admin.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: `{"n":${n}}`, MessageAttributes: { ferry: { DataType: 'String', StringValue: shape } } }),
        );
        sentBad.push(MessageId!);
        const good = encode({ id: `good-${n}`, type: 'sqs.good', topic, headers: {}, payload: Buffer.from(JSON.stringify({ n })), timestamp: Date.now() });
        await admin.send(new SendMessageCommand({ QueueUrl: url, MessageBody: good.body, MessageAttributes: good.attributes }));
      }
      await waitFor(() => handled.length === BAD_SHAPES.length, 20_000, 'every good message');
      expect(handled.sort((a, b) => a - b)).toEqual(BAD_SHAPES.map((_, n) => n));

      // Read the dead-letter queue below core, as redrive does.
      const reader = sqs();
      const sub = await subscribe(reader, spec(`${topic}.dlq`, DEAD_LETTER_GROUP), (d) => {
        deadLetters.push({
          id: d.envelope.id,
          reason: d.envelope.headers[HEADERS.deadLetterReason],
          kind: d.envelope.headers[HEADERS.deadLetterKind],
          attribute: d.envelope.headers.ferry,
        });
        void d.ack();
      });
      try {
        await waitFor(() => deadLetters.length >= BAD_SHAPES.length, 20_000, 'every bad message in the dead-letter queue');
      } finally {
        await sub.close();
        await reader.close();
      }
      expect(deadLetters.map((d) => d.id).sort()).toEqual([...sentBad].sort());
      for (const d of deadLetters) {
        expect(d.kind).toBe('decode');
        expect(d.reason).toMatch(/message attribute `ferry`/);
      }
      // The raw attribute travels with the dead letter, so nothing of the message is lost.
      expect(deadLetters.map((d) => d.attribute).sort()).toEqual([...BAD_SHAPES].sort());
      expect(errors).toEqual([]);
    } finally {
      await client.close();
      admin.destroy();
    }
  }, 60_000);
});
