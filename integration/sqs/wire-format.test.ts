/**
 * The SQS wire format as it sits in queues: messages written by hand with the AWS SDK in the
 * format Ferry has used since its first SQS release (one `ferry` string attribute with the envelope
 * as JSON; the payload as the body, in a `ferry-payload` binary attribute, or marked empty) are read
 * back field for field. Messages already in queues stay readable whatever the encoder becomes.
 * The same for the body form (`envelope: 'body'`: a `ferry/1` line before the payload), and a queue
 * holding both forms, as it does while producers switch over.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Delivery, Envelope } from '@ferry/core/spi';
import { afterAll, describe, expect, it } from 'vitest';
import { spec, subscribe } from '../harness/index.ts';
import { cleanup, rawClient, sqs, topicName, waitFor } from './helpers.ts';

afterAll(() => cleanup('sqs-wire'));

const meta = (fields: Record<string, unknown>) => ({ ferry: { DataType: 'String', StringValue: JSON.stringify(fields) } });

/** Sends `entries` raw with the AWS SDK to a new queue of `topic` and reads them back through the transport, by envelope id. */
async function sentRawAndRead(topic: string, entries: SendMessageBatchRequestEntry[]): Promise<Map<string, Envelope>> {
  const transport = sqs();
  const admin = rawClient();
  const got = new Map<string, Envelope>();
  try {
    const { url } = await transport.queueOf(topic);
    const { Failed = [] } = await admin.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    expect(Failed).toEqual([]);
    const sub = await subscribe(transport, spec(topic, 'g'), (d) => {
      got.set(d.envelope.id, d.envelope);
      void d.ack();
    });
    try {
      await waitFor(() => got.size === entries.length, 20_000, `the ${entries.length} messages`);
    } finally {
      await sub.close();
    }
    return got;
  } finally {
    await transport.close();
    admin.destroy();
  }
}

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
    const got = await sentRawAndRead(topic, entries);
    const body = got.get('id-body')!;
    expect({ ...body, payload: Buffer.from(body.payload).toString('utf8') }).toEqual({ id: 'id-body', type: 'wire.test', topic: 'orders', key: 'key-1', headers, payload: '{"n":1}', timestamp: 1_700_000_000_123 });
    const bin = got.get('id-binary')!;
    expect([...bin.payload]).toEqual([...binary]);
    expect({ ...bin, payload: undefined }).toEqual({ id: 'id-binary', type: 'wire.bin', topic: 'orders', key: undefined, headers: {}, payload: undefined, timestamp: 1_700_000_000_456 });
    const empty = got.get('id-empty')!;
    expect(empty.payload.byteLength).toBe(0);
    expect(empty).toMatchObject({ id: 'id-empty', type: 'wire.empty', headers: { a: '' }, timestamp: 1_700_000_000_789 });
  }, 60_000);
});

describe('sqs: messages in the body form (`envelope: \'body\'`)', () => {
  it('sent raw with the AWS SDK, are read with every envelope field exact, and carry no attribute', async () => {
    const topic = topicName('wire-body');
    const headers = { 'ferry-content-type': 'application/json', 'x-ü': 'grüße 🚀', 'x-nl': 'a\nb' };
    const framed = (fields: Record<string, unknown>, payload: string) => `ferry/1\n${JSON.stringify(fields)}\n${payload}`;
    const entries = [
      { Id: 'body', MessageBody: framed({ i: 'id-frame', t: 'wire.frame', o: 'orders', k: 'key-1', s: 1_700_000_000_123, h: headers }, '{"n":1}\n{"n":2}') },
      { Id: 'empty', MessageBody: framed({ i: 'id-frame-empty', t: 'wire.empty', o: 'orders', s: 1_700_000_000_456, h: {} }, '') },
    ];
    const got = await sentRawAndRead(topic, entries);
    const body = got.get('id-frame')!;
    expect({ ...body, payload: Buffer.from(body.payload).toString('utf8') }).toEqual({ id: 'id-frame', type: 'wire.frame', topic: 'orders', key: 'key-1', headers, payload: '{"n":1}\n{"n":2}', timestamp: 1_700_000_000_123 });
    expect(got.get('id-frame-empty')!).toMatchObject({ type: 'wire.empty', timestamp: 1_700_000_000_456 });
    expect(got.get('id-frame-empty')!.payload.byteLength).toBe(0);
  }, 60_000);

  it('one queue written in both forms (producers switching over) is read by one consumer, either way', async () => {
    const topic = topicName('wire-mixed');
    const old = sqs();
    const switched = sqs({ envelope: 'body' });
    const admin = rawClient();
    const got = new Map<string, Delivery>();
    try {
      const { url } = await old.queueOf(topic);
      const message = (id: string) => ({ id, type: 'wire.mixed', topic, headers: { 'ferry-content-type': 'application/json' }, payload: Buffer.from(`{"id":"${id}"}`), timestamp: Date.now() });
      await old.send([message('by-attribute')]);
      await switched.send([message('by-body'), { ...message('binary-by-body'), payload: Uint8Array.of(0xff, 0x00) }]);
      // As stored: the switched producer's text message has no attribute and its envelope in the body.
      const { Messages = [] } = await admin.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0, WaitTimeSeconds: 1 }));
      const stored = Messages.find((m) => m.Body?.startsWith('ferry/1\n'));
      expect(stored?.MessageAttributes ?? {}).toEqual({});
      for (const reader of [old, switched]) {
        got.clear();
        const sub = await subscribe(reader, spec(topic, 'g'), (d) => {
          got.set(d.envelope.id, d);
          void (reader === old ? d.release?.() : d.ack());
        });
        try {
          await waitFor(() => got.size === 3, 20_000, 'the three messages');
        } finally {
          await sub.close();
        }
        expect([...got.keys()].sort()).toEqual(['binary-by-body', 'by-attribute', 'by-body']);
        expect(Buffer.from(got.get('by-body')!.envelope.payload).toString()).toBe('{"id":"by-body"}');
        expect([...got.get('binary-by-body')!.envelope.payload]).toEqual([0xff, 0x00]);
      }
    } finally {
      await Promise.all([old.close(), switched.close()]);
      admin.destroy();
    }
  }, 90_000);
});
