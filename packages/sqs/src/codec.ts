import { isUtf8 } from 'node:buffer';
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { DecodeError } from '@ferry/core';
import { HEADERS, type Envelope } from '@ferry/core/spi';

/**
 * How an envelope travels in an SQS message. SQS allows 10 message attributes and only some
 * characters in bodies and string attributes, so Ferry packs the envelope's fields and all its
 * headers into ONE string attribute (`ferry`, JSON) and carries the payload:
 *   - as the body, when the bytes are UTF-8 text SQS accepts (JSON payloads: readable in the console);
 *   - else in a Binary attribute `ferry-payload` (raw bytes count against the size limit, no base64
 *     inflation), with a one-character placeholder body (SQS refuses an empty body);
 *   - an empty payload: placeholder body, marked in the metadata.
 * Or, with the `body` form, the same JSON on a line of its own before the payload, in the body:
 * `ferry/1\n<metadata>\n<payload>` (no attribute to read: receiving costs the AWS SDK less). A
 * payload SQS would not take as text is sent in the attribute form whatever the option says.
 * Both forms are always read.
 */
export const ATTR_META = 'ferry';
export const ATTR_PAYLOAD = 'ferry-payload';
const PLACEHOLDER_BODY = '-';
/** The first line of a body that carries its envelope (JSON escapes newlines, so the metadata is one line). */
export const FRAME_PREFIX = 'ferry/1\n';
/** `ferry/<version>\n`: a framed body of another version than FRAME_PREFIX's. */
const FRAME_VERSION = /^ferry\/\d{1,4}\n/;

/** Where `encode` puts the envelope: the `ferry` attribute, or a line before the payload in the body. */
export type EnvelopeForm = 'attribute' | 'body';

/** The packed metadata (id, type, topic, key, timestamp, headers). */
interface Meta {
  i: string;
  t: string;
  o: string;
  k?: string;
  s: number;
  h: Record<string, string>;
  /** Where the payload is: absent = body, `a` = the binary attribute, `e` = empty. */
  p?: 'a' | 'e';
}

/** Characters SQS refuses in bodies and string attributes (outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF). */
const REFUSED_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Dead-letter facts shown as attributes of their own as well (they are in the packed headers too),
 * so a dead-letter queue can be inspected in the AWS console or the CLI without unpacking JSON.
 */
const VISIBLE_HEADERS = [HEADERS.deadLetterReason, HEADERS.deadLetterKind, HEADERS.deadLetterAttempts, HEADERS.originalTopic] as const;
const VISIBLE_MAX_CHARS = 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A header value SQS accepts as a string attribute (readable copy only: the exact value is in the metadata). */
function readable(value: string): string {
  return value.slice(0, VISIBLE_MAX_CHARS).replace(LONE_SURROGATE, '\uFFFD').replace(new RegExp(REFUSED_CHARS.source, 'g'), '\uFFFD');
}

export interface EncodedMessage {
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  /** Size as SQS counts it: body plus attribute names, types and values, in bytes. */
  readonly size: number;
}

/** The payload as an SQS body if the bytes are text SQS accepts unchanged, else undefined. */
export function asBody(payload: Uint8Array): string | undefined {
  if (payload.byteLength === 0) return undefined;
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  // isUtf8 refuses invalid sequences and encoded surrogates; toString keeps a BOM (round trip exact).
  if (!isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  return REFUSED_CHARS.test(text) ? undefined : text;
}

/** JSON that SQS accepts in a string attribute: JSON escapes control characters; escape the two it does not. */
function safeJson(value: unknown): string {
  const json = JSON.stringify(value);
  // includes() is much cheaper than a regex replace over every message, and these are rare.
  if (!json.includes('\uFFFE') && !json.includes('\uFFFF')) return json;
  return json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

export function encode(message: Envelope, form: EnvelopeForm = 'attribute'): EncodedMessage {
  const meta: Meta = { i: message.id, t: message.type, o: message.topic, s: message.timestamp, h: message.headers };
  if (message.key !== undefined) meta.k = message.key;
  let body = asBody(message.payload);
  const attributes: Record<string, MessageAttributeValue> = {};
  let size = visibleHeaders(message, attributes);
  if (form === 'body' && (body !== undefined || message.payload.byteLength === 0)) {
    const framed = `${FRAME_PREFIX}${safeJson(meta)}\n${body ?? ''}`;
    return { body: framed, attributes, size: size + Buffer.byteLength(framed) };
  }
  if (body === undefined) {
    body = PLACEHOLDER_BODY;
    if (message.payload.byteLength === 0) {
      meta.p = 'e';
    } else {
      meta.p = 'a';
      attributes[ATTR_PAYLOAD] = { DataType: 'Binary', BinaryValue: message.payload };
      size += ATTR_PAYLOAD.length + 'Binary'.length + message.payload.byteLength;
    }
  }
  const json = safeJson(meta);
  attributes[ATTR_META] = { DataType: 'String', StringValue: json };
  size += ATTR_META.length + 'String'.length + Buffer.byteLength(json) + Buffer.byteLength(body);
  return { body, attributes, size };
}

/** Adds the dead-letter headers shown as attributes of their own; returns their size as SQS counts it. */
function visibleHeaders(message: Envelope, attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const name of VISIBLE_HEADERS) {
    const value = message.headers[name];
    if (!value) continue; // SQS refuses empty attribute values
    const text = readable(value);
    attributes[name] = { DataType: 'String', StringValue: text };
    size += name.length + 'String'.length + Buffer.byteLength(text);
  }
  return size;
}

/**
 * The envelope of a received message. Messages without Ferry's attribute (sent by other tools)
 * still arrive: id = MessageId, type = a `type` string attribute if any, headers = the other
 * string attributes, payload = the body's bytes. Throws DecodeError when the `ferry` attribute is
 * not Ferry's metadata (not JSON, or JSON of another shape).
 */
export function decode(message: Message, topic: string): Envelope {
  const attrs = message.MessageAttributes ?? {};
  const packed = attrs[ATTR_META]?.StringValue;
  if (packed !== undefined) {
    const meta = parseMeta(packed);
    let payload: Uint8Array;
    if (meta.p === 'e') payload = new Uint8Array(0);
    else if (meta.p === 'a') payload = attrs[ATTR_PAYLOAD]?.BinaryValue ?? new Uint8Array(0);
    else payload = textBytes(message.Body ?? '');
    return fromMeta(meta, payload);
  }
  const body = message.Body ?? '';
  if (body.startsWith(FRAME_PREFIX)) return unframe(body);
  // startsWith first: this runs for every message, and bodies of other tools rarely start so.
  if (body.startsWith('ferry/') && FRAME_VERSION.test(body)) {
    throw new DecodeError(`SQS message body starts with \`${body.slice(0, body.indexOf('\n'))}\`, a Ferry envelope of another version; this Ferry reads ferry/1: upgrade the consumer`);
  }
  const headers = stringAttributes(attrs);
  return {
    id: message.MessageId ?? '',
    type: headers.type ?? '',
    topic,
    headers,
    payload: textBytes(message.Body ?? ''),
    timestamp: Number(message.Attributes?.SentTimestamp ?? Date.now()),
  };
}

/** The envelope of a body in the `body` form: the metadata line, then the payload. */
function unframe(body: string): Envelope {
  const end = body.indexOf('\n', FRAME_PREFIX.length);
  if (end === -1) throw new DecodeError(`SQS message body starts with \`${FRAME_PREFIX.trim()}\` but has no line after its metadata`);
  const meta = parseMeta(body.slice(FRAME_PREFIX.length, end), `body's \`${FRAME_PREFIX.trim()}\` line`);
  if (meta.p !== undefined) throw new DecodeError(`SQS message body's \`${FRAME_PREFIX.trim()}\` line is not Ferry's metadata: p: a framed payload is the rest of the body`);
  return fromMeta(meta, textBytes(body.slice(end + 1)));
}

function fromMeta(meta: Meta, payload: Uint8Array): Envelope {
  return { id: meta.i, type: meta.t, topic: meta.o, key: meta.k, headers: meta.h, payload, timestamp: meta.s };
}

function parseMeta(packed: string, where = `attribute \`${ATTR_META}\``): Meta {
  let json: unknown;
  try {
    json = JSON.parse(packed);
  } catch (cause) {
    throw new DecodeError(`SQS message ${where} is not Ferry's metadata: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const problem = metaProblem(json);
  if (problem !== undefined) throw new DecodeError(`SQS message ${where} is not Ferry's metadata: ${problem}`);
  return json as Meta;
}

/**
 * What keeps a parsed `ferry` attribute from being Meta (any tool can send one), or undefined.
 * Checked by hand rather than by a schema: this runs for every message received.
 */
function metaProblem(json: unknown): string | undefined {
  if (!isObject(json)) return `expected an object, got ${kind(json)}`;
  for (const field of ['i', 't', 'o'] as const) if (typeof json[field] !== 'string') return `${field}: expected a string, got ${kind(json[field])}`;
  if (json['k'] !== undefined && typeof json['k'] !== 'string') return `k: expected a string, got ${kind(json['k'])}`;
  if (typeof json['s'] !== 'number') return `s: expected a number, got ${kind(json['s'])}`;
  const headers = json['h'];
  if (!isObject(headers)) return `h: expected an object of headers, got ${kind(headers)}`;
  for (const name in headers) if (typeof headers[name] !== 'string') return `h.${name}: expected a string, got ${kind(headers[name])}`;
  const p = json['p'];
  if (p !== undefined && p !== 'a' && p !== 'e') return `p: expected "a" or "e", got ${JSON.stringify(p)}`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : value === undefined ? 'nothing' : typeof value;
}

/**
 * What can be kept of a message whose `ferry` attribute does not decode: id = MessageId, headers =
 * its string attributes (the raw `ferry` value among them), payload = the binary attribute if any,
 * else the body. Nothing of the message is dropped, so it can be inspected and redriven.
 */
export function salvage(message: Message, topic: string): Envelope {
  const attrs = message.MessageAttributes ?? {};
  const headers = stringAttributes(attrs);
  const binary = attrs[ATTR_PAYLOAD]?.BinaryValue;
  return {
    id: message.MessageId ?? '',
    type: '',
    topic,
    headers,
    payload: binary ?? textBytes(message.Body ?? ''),
    timestamp: Number(message.Attributes?.SentTimestamp ?? Date.now()),
  };
}

function stringAttributes(attrs: Record<string, MessageAttributeValue>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attrs)) if (value.StringValue !== undefined) headers[name] = value.StringValue;
  return headers;
}

function textBytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8'); // a Buffer is a Uint8Array: no second view per message
}
