import { describe, expect, it } from 'vitest';
import type { Message } from '@aws-sdk/client-sqs';
import { DecodeError, type Envelope } from '@ferry/core';
import { asBody, ATTR_META, ATTR_PAYLOAD, decode, encode, FRAME_PREFIX, salvage, type EnvelopeForm } from './codec.ts';

const envelope = (payload: Uint8Array, extra: Partial<Envelope> = {}): Envelope => ({
  id: 'id-1',
  type: 'order.placed',
  topic: 'orders.placed',
  key: 'k-ü',
  headers: { 'x-a': 'grüße 🚀', 'x-empty': '', 'x-ctl': 'nul \u0000 \u0001 \uffff' },
  payload,
  timestamp: 1_700_000_000_123,
  ...extra,
});

/** What SQS hands back for an encoded message. */
function received(e: Envelope, form: EnvelopeForm = 'attribute'): Message {
  const { body, attributes } = encode(e, form);
  return { MessageId: 'm-1', ReceiptHandle: 'r', Body: body, MessageAttributes: attributes, Attributes: { ApproximateReceiveCount: '1' } };
}

describe('codec', () => {
  it('packs every header into one attribute, however many there are (SQS allows 10)', () => {
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, `v${i}`]));
    const { attributes } = encode(envelope(Buffer.from('{}'), { headers }));
    expect(Object.keys(attributes)).toEqual([ATTR_META]);
    expect(decode(received(envelope(Buffer.from('{}'), { headers })), 't').headers).toEqual(headers);
  });

  it('shows dead-letter reason, kind, attempts and origin as attributes of their own, readable and SQS-safe', () => {
    const headers = { 'ferry-dead-letter-reason': `boom \u0001 ${'x'.repeat(2000)}`, 'ferry-dead-letter-kind': 'handler', 'ferry-dead-letter-attempts': '3', 'ferry-original-topic': 'orders', 'ferry-dead-letter-stack': 'not shown' };
    const e = envelope(Buffer.from('{}'), { headers });
    const { attributes, size } = encode(e);
    expect(Object.keys(attributes).sort()).toEqual([ATTR_META, 'ferry-dead-letter-attempts', 'ferry-dead-letter-kind', 'ferry-dead-letter-reason', 'ferry-original-topic'].sort());
    expect(attributes['ferry-dead-letter-attempts']?.StringValue).toBe('3');
    expect(attributes['ferry-dead-letter-reason']?.StringValue).toMatch(/^boom \uFFFD x+$/);
    expect(attributes['ferry-dead-letter-reason']?.StringValue).toHaveLength(1024);
    const counted = Object.entries(attributes).reduce((n, [name, a]) => n + name.length + a.DataType!.length + Buffer.byteLength(a.StringValue!), 2);
    expect(size).toBe(counted);
    // The exact values still come back from the packed metadata.
    expect(decode(received(e), 't').headers).toEqual(headers);
  });

  it('round-trips text payloads as the body, byte-exact (BOM and CR/LF kept)', () => {
    for (const text of ['{"a":1}', '\uFEFF{"bom":true}', 'line\r\nbreak\r', '日本語 👩‍👩‍👧', '"nul \\u0000 escaped"']) {
      const e = envelope(Buffer.from(text, 'utf8'));
      const { body, attributes } = encode(e);
      expect(body).toBe(text);
      expect(attributes[ATTR_PAYLOAD]).toBeUndefined();
      expect(Buffer.from(decode(received(e), 't').payload).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });

  it('carries bytes SQS would refuse or change in a binary attribute', () => {
    const cases = [Uint8Array.from({ length: 256 }, (_, i) => i), Uint8Array.of(0x7b, 0xff, 0xfe), Buffer.from('a\u0001b'), Buffer.from('x\uffffy'), Uint8Array.of(0xed, 0xa0, 0x80)];
    for (const payload of cases) {
      expect(asBody(payload)).toBeUndefined();
      const e = envelope(payload);
      const { body, attributes } = encode(e);
      expect(body).toBe('-');
      expect(attributes[ATTR_PAYLOAD]?.BinaryValue).toEqual(payload);
      expect(Buffer.from(decode(received(e), 't').payload).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it('round-trips an empty payload (SQS refuses an empty body) and keeps every envelope field', () => {
    const e = envelope(new Uint8Array(0));
    expect(encode(e).body).toBe('-');
    const back = decode(received(e), 'ignored');
    expect(back).toEqual({ ...e, payload: new Uint8Array(0) });
    expect(decode(received(envelope(Buffer.from('x'), { key: undefined })), 't').key).toBeUndefined();
  });

  it('escapes in the packed JSON the characters SQS refuses in string attributes', () => {
    const json = encode(envelope(Buffer.from('x'))).attributes[ATTR_META]!.StringValue!;
    expect(json).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(JSON.parse(json).h['x-ctl']).toBe('nul \u0000 \u0001 \uffff');
  });

  it('counts the size as SQS does: body plus attribute names, types and values', () => {
    const text = encode(envelope(Buffer.from('hello')));
    const meta = text.attributes[ATTR_META]!.StringValue!;
    expect(text.size).toBe(5 + ATTR_META.length + 'String'.length + Buffer.byteLength(meta));
    const binary = encode(envelope(new Uint8Array(1000)));
    expect(binary.size).toBe(1 + ATTR_META.length + 6 + Buffer.byteLength(binary.attributes[ATTR_META]!.StringValue!) + ATTR_PAYLOAD.length + 'Binary'.length + 1000);
  });

  it('decodes messages from other producers: body as payload, string attributes as headers', () => {
    const e = decode({ MessageId: 'm-9', Body: 'plain', MessageAttributes: { type: { DataType: 'String', StringValue: 'legacy.event' } }, Attributes: { SentTimestamp: '42' } }, 'legacy');
    expect(e).toMatchObject({ id: 'm-9', type: 'legacy.event', topic: 'legacy', headers: { type: 'legacy.event' }, timestamp: 42 });
    expect(Buffer.from(e.payload).toString()).toBe('plain');
  });

  it('names the field of the metadata that is wrong', () => {
    const reason = (meta: string) => {
      try {
        decode({ MessageId: 'm', Body: 'b', MessageAttributes: { [ATTR_META]: { DataType: 'String', StringValue: meta } } }, 't');
      } catch (error) {
        return (error as Error).message.split("metadata: ")[1];
      }
      return 'decoded';
    };
    expect(reason('{"i":"x","t":"t","o":"o","s":1,"h":"x"}')).toBe('h: expected an object of headers, got string');
    expect(reason('{"i":"x","t":"t","o":"o","s":1,"h":{"a":1}}')).toBe('h.a: expected a string, got number');
    expect(reason('{"i":"x","t":"t","o":"o","s":"1","h":{}}')).toBe('s: expected a number, got string');
    expect(reason('{"i":"x","t":"t","o":"o","k":[],"s":1,"h":{}}')).toBe('k: expected a string, got an array');
    expect(reason('{"i":"x","t":"t","o":"o","s":1,"h":{},"p":"z"}')).toBe('p: expected "a" or "e", got "z"');
    expect(reason('{"t":"t","o":"o","s":1,"h":{}}')).toBe('i: expected a string, got nothing');
    expect(reason('[]')).toBe('expected an object, got an array');
    expect(reason('{"i":"x","t":"t","o":"o","s":1,"h":{},"extra":true}')).toBe('decoded');
  });

  it('refuses a `ferry` attribute that is not Ferry\'s metadata with a DecodeError naming the attribute; salvage keeps all of it', () => {
    for (const shape of ['{}', '[]', '"str"', '{"id":5,"headers":"x"}', 'null', 'not json', '{"i":"x","t":"t","o":"o","s":1,"h":{"a":1}}']) {
      const message: Message = { MessageId: 'm-9', Body: 'body', MessageAttributes: { [ATTR_META]: { DataType: 'String', StringValue: shape }, other: { DataType: 'String', StringValue: 'v' } } };
      let error: unknown;
      try {
        decode(message, 't');
      } catch (e) {
        error = e;
      }
      expect(error, shape).toBeInstanceOf(DecodeError);
      expect((error as Error).message).toMatch(/^SQS message attribute `ferry` is not Ferry's metadata: /);
      expect((error as Error).message, shape).toMatch(/: (not valid JSON|expected an object, got|[a-z.]+: expected)/);
      expect(salvage(message, 't')).toMatchObject({ id: 'm-9', type: '', topic: 't', headers: { [ATTR_META]: shape, other: 'v' } });
      expect(Buffer.from(salvage(message, 't').payload).toString()).toBe('body');
    }
  });
});

describe('codec, body form', () => {
  const plain = (m: Message) => ({ ...decode(m, 'ignored'), payload: Buffer.from(decode(m, 'ignored').payload).toString('utf8') });

  it('puts the envelope on a line before the payload and no attribute; every field comes back', () => {
    const headers = { 'x-a': 'grüße 🚀', 'x-nl': 'two\nlines', 'x-ctl': 'nul \u0000 \uffff', 'x-empty': '' };
    const e = envelope(Buffer.from('{"n":1}\nsecond line'), { headers });
    const { body, attributes, size } = encode(e, 'body');
    expect(body.startsWith(FRAME_PREFIX)).toBe(true);
    expect(body.split('\n')).toHaveLength(4); // prefix, metadata, the payload's two lines
    expect(attributes).toEqual({});
    expect(size).toBe(Buffer.byteLength(body));
    expect(plain(received(e, 'body'))).toEqual({ ...e, payload: '{"n":1}\nsecond line' });
  });

  it('frames an empty payload without a placeholder, and sends binary payloads in the attribute form', () => {
    const empty = encode(envelope(new Uint8Array(0)), 'body');
    expect(empty.body.endsWith('\n')).toBe(true);
    expect(decode(received(envelope(new Uint8Array(0)), 'body'), 't').payload.byteLength).toBe(0);
    const bytes = Uint8Array.of(0x7b, 0xff, 0xfe);
    const binary = encode(envelope(bytes), 'body');
    expect(binary.body).toBe('-');
    expect(Object.keys(binary.attributes).sort()).toEqual([ATTR_META, ATTR_PAYLOAD]);
    expect([...decode(received(envelope(bytes), 'body'), 't').payload]).toEqual([...bytes]);
  });

  it('keeps the dead-letter facts as attributes of their own, counted in the size', () => {
    const headers = { 'ferry-dead-letter-reason': 'boom', 'ferry-original-topic': 'orders' };
    const { body, attributes, size } = encode(envelope(Buffer.from('{}'), { headers }), 'body');
    expect(Object.keys(attributes).sort()).toEqual(['ferry-dead-letter-reason', 'ferry-original-topic']);
    const counted = Object.entries(attributes).reduce((n, [name, a]) => n + name.length + a.DataType!.length + Buffer.byteLength(a.StringValue!), 0);
    expect(size).toBe(counted + Buffer.byteLength(body));
  });

  it('refuses a framed body it cannot read with a DecodeError that says why; other bodies are payloads', () => {
    const why = (Body: string) => {
      try {
        decode({ MessageId: 'm', Body }, 't');
        return 'decoded';
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
        return (error as Error).message;
      }
    };
    expect(why('ferry/2\n{}\n{}')).toMatch(/ferry\/2`, a Ferry envelope of another version; this Ferry reads ferry\/1: upgrade the consumer/);
    expect(why('ferry/1\n{"i":"x"}')).toMatch(/has no line after its metadata/);
    expect(why('ferry/1\nnot json\n{}')).toMatch(/^SQS message body's `ferry\/1` line is not Ferry's metadata: not valid JSON/);
    expect(why('ferry/1\n{"i":"x","t":"t","o":"o","s":1}\n{}')).toMatch(/h: expected an object of headers/);
    expect(why('ferry/1\n{"i":"x","t":"t","o":"o","s":1,"h":{},"p":"a"}\n')).toMatch(/p: a framed payload is the rest of the body/);
    for (const foreign of ['ferry/ is a path', 'ferry/1 no newline', '{"ferry/1":1}']) expect(why(foreign), foreign).toBe('decoded');
  });
});
