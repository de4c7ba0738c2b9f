/**
 * The SQS wire format as it sits in queues: messages written by hand with the AWS SDK in the
 * format Ferry has used since its first SQS release (one `ferry` string attribute with the envelope
 * as JSON; the payload as the body, in a `ferry-payload` binary attribute, or marked empty) are read
 * back field for field. Messages already in queues stay readable whatever the encoder becomes.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Delivery } from '@ferry/core/spi';
import { afterAll, describe, expect, it } from 'vitest';
import { spec, subscribe } from '../harness/index.ts';
import { cleanup, rawClient, sqs, topicName, waitFor } from './helpers.ts';

afterAll(() => cleanup('sqs-wire'));

const meta = (fields: Record<string, unknown>) => ({ ferry: { DataType: 'String', StringValue: JSON.stringify(fields) } });

describe('sqs: messages in the packed-attribute format', () => {
  it('sent raw with the AWS SDK, are read with every envelope field exact', async () => {
    const topic = topicName('wire');
    const binary = Uint8Array.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    const headers = { 'ferry-content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-ü': 'grüße 🚀' };
    const entries = [
      { Id: 'body', MessageBody: '{"n":1}', MessageAttributes: meta({ i: 'id-body', t: 'wire.test', o: 'orders', k: 'key-1', s: 1_700_000_000_123, h: headers }) },
      { Id: 'binary', MessageBody: '-', MessageAttributes: { ...meta({ i: 'id-binary', t: 'wire.bin', o: 'orders', s: 1_700_000_000_456, h: {}, p: 'a' }), 'ferry-payload': { DataType: 'Binary', BinaryValue: binary } } },
      { Id: 'empty', MessageBody: '-', MessageAttributes: meta({ i: 'id-empty', t: 'wire.empty', o: 'orders', s: 1_700_000_000_789, h: { a: '' }, p: 'e' }) },
    ];
    const transport = sqs();
    const admin = rawClient();
    const got = new Map<string, Delivery>();
    try {
      const { url } = await transport.queueOf(topic);
      const { Failed = [] } = await admin.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      expect(Failed).toEqual([]);
      const sub = await subscribe(transport, spec(topic, 'g'), (d) => {
        got.set(d.envelope.id, d);
        void d.ack();
      });
      try {
        await waitFor(() => got.size === entries.length, 20_000, 'the three messages');
      } finally {
        await sub.close();
      }
      const body = got.get('id-body')!.envelope;
      expect({ ...body, payload: Buffer.from(body.payload).toString('utf8') }).toEqual({ id: 'id-body', type: 'wire.test', topic: 'orders', key: 'key-1', headers, payload: '{"n":1}', timestamp: 1_700_000_000_123 });
      const bin = got.get('id-binary')!.envelope;
      expect([...bin.payload]).toEqual([...binary]);
      expect({ ...bin, payload: undefined }).toEqual({ id: 'id-binary', type: 'wire.bin', topic: 'orders', key: undefined, headers: {}, payload: undefined, timestamp: 1_700_000_000_456 });
      const empty = got.get('id-empty')!.envelope;
      expect(empty.payload.byteLength).toBe(0);
      expect(empty).toMatchObject({ id: 'id-empty', type: 'wire.empty', headers: { a: '' }, timestamp: 1_700_000_000_789 });
    } finally {
      await transport.close();
      admin.destroy();
    }
  }, 60_000);
});
