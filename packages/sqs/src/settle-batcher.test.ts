import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './options.ts';
import type { QueueInfo } from './queues.ts';
import { SettleBatcher } from './settle-batcher.ts';

const queue: QueueInfo = { topic: 't', name: 't', url: 'http://sqs/t', fifo: false };

/** Answers batch requests as SQS would, failing the entries whose handle starts with `bad` (a unit test of the batching; ElasticMQ tests the real calls). */
function client() {
  const requests: Array<{ kind: string; entries: Array<{ handle: string; seconds?: number }> }> = [];
  const sqs = {
    send: async (command: unknown) => {
      const input = (command as { input: { Entries: Array<{ Id: string; ReceiptHandle: string; VisibilityTimeout?: number }> } }).input;
      const kind = command instanceof DeleteMessageBatchCommand ? 'delete' : command instanceof ChangeMessageVisibilityBatchCommand ? 'visibility' : 'other';
      requests.push({ kind, entries: input.Entries.map((e) => ({ handle: e.ReceiptHandle, ...(e.VisibilityTimeout === undefined ? {} : { seconds: e.VisibilityTimeout }) })) });
      return { Failed: input.Entries.filter((e) => e.ReceiptHandle.startsWith('bad')).map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', Message: 'gone', SenderFault: true })) };
    },
  } as unknown as SQSClient;
  return { sqs, requests };
}

describe('SettleBatcher', () => {
  it('turns concurrent acks into DeleteMessageBatch requests of at most 10, failing only the entries SQS refused', async () => {
    const { sqs, requests } = client();
    const settles = new SettleBatcher(sqs, queue, resolveConfig(new URL('sqs://us-east-1'), { lingerMs: 5 }));
    const handles = Array.from({ length: 25 }, (_, i) => (i === 7 ? 'bad-7' : `h${i}`));
    const results = await Promise.allSettled(handles.map((h) => settles.ack(h)));
    expect(requests.map((r) => [r.kind, r.entries.length])).toEqual([['delete', 10], ['delete', 10], ['delete', 5]]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual(['Error: SQS could not delete a message of queue `t`: ReceiptHandleIsInvalid: gone']);
  });

  it('sets visibility in whole seconds, rounded up, within SQS\'s 0..12 hours', async () => {
    const { sqs, requests } = client();
    const settles = new SettleBatcher(sqs, queue, resolveConfig(new URL('sqs://us-east-1'), { lingerMs: 1 }));
    await Promise.all([settles.setVisibility('a', 0.2), settles.setVisibility('b', 0), settles.setVisibility('c', 99_999), settles.setVisibility('d', -3)]);
    await settles.drain();
    expect(requests).toEqual([{ kind: 'visibility', entries: [{ handle: 'a', seconds: 1 }, { handle: 'b', seconds: 0 }, { handle: 'c', seconds: 43_200 }, { handle: 'd', seconds: 0 }] }]);
  });
});
