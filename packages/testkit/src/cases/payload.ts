import { HEADERS, type Envelope } from '@ferry/core';
import { expect } from 'vitest';
import { caught } from '../assertions.ts';
import type { CaseGroupFactory } from '../case.ts';
import type { CaseEnv } from '../env.ts';
import { binaryPayload, bytesCodec, bytesMessage, sameBytes, textMessage } from '../messages.ts';
import { sleep, waitFor } from '../wait.ts';

const UNICODE_HEADERS: Readonly<Record<string, string>> = {
  'x-unicode': 'grüße ✓ 日本語 🚀 مرحبا',
  'x-ascii': 'plain value; with = signs & spaces',
  'x-empty': '',
  'x-json': '{"a":[1,2,{"b":"ü"}]}',
  'x-long': 'v'.repeat(1024),
};

const STRINGS: readonly string[] = [
  'héllo wörld',
  '日本語のテキスト',
  '👩‍👩‍👧 family, 🚀 rocket, 🇪🇺 flag',
  'مرحبا بالعالم',
  'e\u0301 combining, \u200b zero-width',
  'nul \u0000 inside, tab \t newline \n quote " backslash \\',
  '',
];

interface Seen {
  readonly envelope: Envelope;
  readonly payload: unknown;
}

/** Byte-exact payloads and headers, up to the size limit and refused beyond it. */
export const payloadCases: CaseGroupFactory = () => ({
  title: 'payload and headers',
  cases: [
    { id: 'binary', name: 'binary payloads (every byte value, empty, 64 KiB) arrive byte-exact with id, type, key and headers', run: binary },
    { id: 'unicode', name: 'unicode strings (and the empty string) and unicode header values arrive exact through the JSON codec', run: unicode },
    { id: 'size-limit', name: 'a payload 1 KiB under capabilities.maxMessageBytes arrives intact; one over it is refused at publish with MessageTooLargeError and never delivered', timeoutMs: 30_000, run: sizeLimit },
  ],
});

async function receiveAll(env: CaseEnv, codecBytes: boolean, topic: string): Promise<{ seen: Seen[]; publisher: Awaited<ReturnType<CaseEnv['client']>> }> {
  const seen: Seen[] = [];
  const options = codecBytes ? { codec: bytesCodec } : {};
  const consumerClient = await env.client(options);
  const definition = codecBytes ? bytesMessage(topic) : textMessage(topic);
  await env.consume(consumerClient, { group: env.group(), retry: env.retry(2) }, definition, (payload: unknown, ctx) => {
    seen.push({ envelope: ctx.envelope, payload });
  });
  return { seen, publisher: await env.client(options) };
}

async function binary(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = bytesMessage(topic);
  const { seen, publisher } = await receiveAll(env, true, topic);
  const producer = publisher.producer();
  const payloads = [new Uint8Array(0), binaryPayload(256), binaryPayload(64 * 1024, 7), Uint8Array.of(0, 0, 0), Uint8Array.of(0xff, 0xfe, 0xfd)];
  const sent = new Map<string, { payload: Uint8Array; key: string; headers: Record<string, string> }>();
  for (const [i, payload] of payloads.entries()) {
    const id = `bin-${env.run}-${i}`;
    const key = `key-ü-${i}`;
    const headers = { ...UNICODE_HEADERS, 'x-index': String(i) };
    expect(await producer.publish(message, payload, { id, key, headers })).toBe(id);
    sent.set(id, { payload: payload.slice(), key, headers });
  }
  await waitFor(() => seen.length >= payloads.length, env.ms(10_000), () => `${payloads.length} binary messages (got ${seen.length})`);
  await sleep(env.ms(100));
  expect(seen.map((s) => s.envelope.id).sort()).toEqual([...sent.keys()].sort());
  for (const { envelope, payload } of seen) {
    const expected = sent.get(envelope.id)!;
    expect(payload).toBeInstanceOf(Uint8Array);
    expect(sameBytes(payload as Uint8Array, expected.payload), `payload of ${envelope.id} (${expected.payload.byteLength} bytes)`).toBe(true);
    expect(sameBytes(envelope.payload, expected.payload), `envelope.payload of ${envelope.id}`).toBe(true);
    expect(envelope.type).toBe(message.type);
    expect(envelope.topic).toBe(topic);
    expect(envelope.key).toBe(expected.key);
    expect(envelope.headers).toMatchObject(expected.headers);
    expect(envelope.headers[HEADERS.contentType]).toBe(bytesCodec.contentType);
    expect(typeof envelope.timestamp).toBe('number');
  }
}

async function unicode(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const message = textMessage(topic);
  const { seen, publisher } = await receiveAll(env, false, topic);
  const producer = publisher.producer();
  const sent = new Map<string, string>();
  for (const text of STRINGS) sent.set(await producer.publish(message, text, { headers: UNICODE_HEADERS }), text);
  await waitFor(() => seen.length >= STRINGS.length, env.ms(10_000), () => `${STRINGS.length} text messages (got ${seen.length})`);
  await sleep(env.ms(100));
  expect(seen).toHaveLength(STRINGS.length);
  for (const { envelope, payload } of seen) {
    expect(payload).toBe(sent.get(envelope.id));
    expect(sameBytes(envelope.payload, new TextEncoder().encode(JSON.stringify(sent.get(envelope.id))))).toBe(true);
    expect(envelope.headers).toMatchObject(UNICODE_HEADERS);
    expect(envelope.headers[HEADERS.contentType]).toBe('application/json');
  }
}

async function sizeLimit(env: CaseEnv): Promise<void> {
  const limit = env.capabilities.maxMessageBytes;
  const topic = env.topic();
  const message = bytesMessage(topic);
  const { seen, publisher } = await receiveAll(env, true, topic);
  const producer = publisher.producer();

  const near = binaryPayload(limit - 1024, 3);
  const nearId = await producer.publish(message, near);

  const error = await caught(() => producer.publish(message, binaryPayload(limit + 1, 5), { id: `too-large-${env.run}` }));
  expect(error.code, `${error.name}: ${error.message}`).toBe('FERRY_MESSAGE_TOO_LARGE');
  expect(error.name).toBe('MessageTooLargeError');
  expect(error.message).toContain(String(limit));
  expect(error.message).toContain(env.transportName);

  const markerId = await producer.publish(message, Uint8Array.of(42));
  await waitFor(() => seen.some((s) => s.envelope.id === markerId), env.ms(15_000), () => `the marker after the size checks (got ${seen.length} messages)`);
  await sleep(env.ms(200));
  expect(seen.map((s) => s.envelope.id).sort()).toEqual([nearId, markerId].sort());
  const nearSeen = seen.find((s) => s.envelope.id === nearId)!;
  expect((nearSeen.payload as Uint8Array).byteLength).toBe(near.byteLength);
  expect(sameBytes(nearSeen.payload as Uint8Array, near)).toBe(true);
}
