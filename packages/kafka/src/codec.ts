import { isUtf8 } from 'node:buffer';
import { CLOUDEVENTS_HEADER_PREFIX, DecodeError, fromCloudEvent, HEADERS, isCloudEventsAttributeName, toCloudEvent, type Envelope } from '@ferry/core/spi';
import type { DriverMessage, ProducerRecord } from './driver.ts';

/**
 * Envelope <-> Kafka record. The key is the record key (the partition key), the payload the
 * value, the timestamp the record timestamp (CreateTime, what replay by timestamp looks up). Id,
 * type and content type travel in one of three forms (the `envelope` option picks what is
 * written; every form is read):
 *
 * - `compact`: one header `ferry-envelope` (see packEnvelope). kafkajs pays per header written,
 *   so one header instead of three is most of the record encoding saved.
 * - `headers`: `ferry-id`, `ferry-type`, and `ferry-content-type` among the headers (the form of
 *   Ferry before compact; what older consumers read).
 * - `cloudevents`: CloudEvents 1.0 binary content mode, Kafka binding: `ce_specversion`, `ce_id`,
 *   `ce_type`, `ce_source`, `ce_time` and `content-type` (core's cloudevents.ts maps them).
 *
 * Headers only the adapter uses (attempt, due time, the topic of a retry copy) are removed on
 * receive, so envelope headers round-trip exactly and a dead letter or a redriven message does not
 * carry them on.
 */
export const H = {
  envelope: 'ferry-envelope',
  id: 'ferry-id',
  type: 'ferry-type',
  attempt: HEADERS.attempt,
  /** Epoch ms before which a retry or delayed copy must not be delivered. */
  due: 'ferry-due',
  /** The envelope topic of a copy in a retry or delay topic. */
  topic: 'ferry-topic',
  /** CloudEvents binding: the datacontenttype attribute. */
  contentType: 'content-type',
} as const;

export type EnvelopeForm = 'compact' | 'headers' | 'cloudevents';

/** How records are written: the form, and the CloudEvents source (undefined: `ferry://<topic>`). */
export interface WireFormat {
  readonly form: EnvelopeForm;
  readonly cloudEventsSource?: string | undefined;
}

export const COMPACT: WireFormat = { form: 'compact' };
const FORMS: Readonly<Record<EnvelopeForm, WireFormat>> = { compact: COMPACT, headers: { form: 'headers' }, cloudevents: { form: 'cloudevents' } };

/** How a copy of a decoded record is written (a retry copy): in the record's own form. */
export function sameForm(decoded: Decoded): WireFormat {
  return FORMS[decoded.form];
}

const PRIVATE = new Set<string>([H.envelope, H.id, H.type, H.attempt, H.due, H.topic]);
const CE_PREFIX = 'ce_';
/** The compact header's version; a reader refuses others (a newer Ferry wrote it). */
const VERSION = '1';

/** Bytes the record adds beyond `envelopeSize` (the envelope header, record framing), for batch sizing. */
export function recordOverhead(message: Envelope): number {
  return 64 + Buffer.byteLength(message.id) + Buffer.byteLength(message.type);
}

export interface RecordExtras {
  /** Overrides the record's topic (retry and delay copies). */
  readonly recordTopic?: string;
  readonly attempt?: number;
  readonly dueAt?: number;
}

export function encode(message: Envelope, extras: RecordExtras = {}, format: WireFormat = COMPACT): ProducerRecord {
  const headers: Record<string, string> = {};
  const given = message.headers;
  if (format.form === 'cloudevents') {
    const event = toCloudEvent(message, format.cloudEventsSource);
    for (const name in event.headers) if (!PRIVATE.has(name)) headers[name] = event.headers[name]!;
    for (const name in event.attributes) headers[name === 'datacontenttype' ? H.contentType : CE_PREFIX + name] = event.attributes[name]!;
  } else if (format.form === 'headers') {
    for (const name in given) if (!PRIVATE.has(name)) headers[name] = given[name]!;
    headers[H.id] = message.id;
    headers[H.type] = message.type;
  } else {
    // The content type goes in the envelope header, not a header of its own as well.
    for (const name in given) if (name !== HEADERS.contentType && !PRIVATE.has(name)) headers[name] = given[name]!;
    headers[H.envelope] = packEnvelope(message.id, message.type, given[HEADERS.contentType]);
  }
  if (extras.attempt !== undefined) headers[H.attempt] = String(extras.attempt);
  if (extras.dueAt !== undefined) headers[H.due] = String(extras.dueAt);
  const recordTopic = extras.recordTopic ?? message.topic;
  if (recordTopic !== message.topic) headers[H.topic] = message.topic;
  const payload = message.payload;
  return {
    topic: recordTopic,
    key: message.key === undefined ? null : Buffer.from(message.key, 'utf8'),
    value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    headers,
    timestamp: String(message.timestamp),
  };
}

/**
 * The compact header's value: `1,<id bytes>,<type bytes>,<content-type bytes or ->;` then id, type
 * and content type back to back (UTF-8). Lengths, not separators: an id may hold any character.
 * `-`: the envelope has no content-type header (an absent one stays absent).
 */
export function packEnvelope(id: string, type: string, contentType: string | undefined): string {
  const ct = contentType === undefined ? '-' : Buffer.byteLength(contentType);
  return `${VERSION},${Buffer.byteLength(id)},${Buffer.byteLength(type)},${ct};${id}${type}${contentType ?? ''}`;
}

export interface PackedEnvelope {
  readonly id: string;
  readonly type: string;
  readonly contentType: string | undefined;
}

/** Reads a compact header strictly: a DecodeError naming the header for anything but what packEnvelope writes. */
export function unpackEnvelope(raw: Buffer | string): PackedEnvelope {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  // One native call for the whole value. When every byte is ASCII (ids, types and content types
  // nearly always are) byte offsets are string offsets, and the fields are slices of it.
  const text = bytes.toString('utf8');
  // The prefix: VERSION, then three lengths (the last may be `-`), then `;`. Read by hand: this runs per record.
  const lengths = [0, 0, 0];
  let field = -1;
  let digits = 0;
  let absent = false;
  let at = 0;
  for (; at < text.length && at < 40; at++) {
    const c = text.charCodeAt(at);
    if (c === 0x2c /* , */ || c === 0x3b /* ; */) {
      if (field === -1 ? text.slice(0, at) !== VERSION : digits === 0 && !(absent && field === 2)) break;
      if (c === 0x3b) break;
      field++;
      digits = 0;
      if (field > 2) break;
    } else if (field >= 0 && c >= 0x30 && c <= 0x39 && digits < 9 && !absent) {
      lengths[field] = lengths[field]! * 10 + (c - 0x30);
      digits++;
    } else if (field === 2 && c === 0x2d /* - */ && digits === 0 && !absent) absent = true;
    else if (field >= 0) break;
  }
  if (text.charCodeAt(at) !== 0x3b || field !== 2 || (digits === 0 && !absent)) {
    if (field === -1 && at < text.length && text.charCodeAt(at) === 0x2c) throw unreadable(bytes, `version ${JSON.stringify(text.slice(0, at))}, this Ferry reads ${VERSION}: upgrade the consumer`);
    throw unreadable(bytes, 'not `1,<id bytes>,<type bytes>,<content-type bytes or ->;`');
  }
  const [idBytes, typeBytes, ctBytes] = lengths as [number, number, number];
  const start = at + 1;
  if (idBytes === 0) throw unreadable(bytes, 'empty id');
  if (start + idBytes + typeBytes + ctBytes !== bytes.length) throw unreadable(bytes, `lengths add up to ${idBytes + typeBytes + ctBytes} bytes, the value holds ${bytes.length - start}`);
  // Same length and no U+FFFD: every byte was ASCII (an invalid byte decodes to one U+FFFD, a valid multi-byte character to fewer units than bytes).
  if (text.length === bytes.length && text.indexOf('\uFFFD', start) === -1) {
    const typeAt = start + idBytes;
    const ctAt = typeAt + typeBytes;
    return { id: text.slice(start, typeAt), type: text.slice(typeAt, ctAt), contentType: absent ? undefined : text.slice(ctAt) };
  }
  // Not all ASCII: offsets are bytes, and the bytes must be UTF-8.
  if (!isUtf8(bytes.subarray(start))) throw unreadable(bytes, 'not UTF-8');
  const typeAt = start + idBytes;
  const ctAt = typeAt + typeBytes;
  return {
    id: bytes.toString('utf8', start, typeAt),
    type: bytes.toString('utf8', typeAt, ctAt),
    contentType: absent ? undefined : bytes.toString('utf8', ctAt, ctAt + ctBytes),
  };
}

function unreadable(bytes: Buffer, why: string): DecodeError {
  const preview = bytes.subarray(0, 80).toString('utf8');
  return new DecodeError(`Kafka record header \`${H.envelope}\` is not a Ferry envelope (${why}): ${JSON.stringify(preview)}`);
}

export interface Decoded {
  readonly envelope: Envelope;
  readonly attempt: number;
  /** Due time of a delayed or retry copy; 0 when deliverable at once. */
  readonly dueAt: number;
  /** The form the record was written in: a retry copy is written in it too, so whoever could read the record reads its copy. */
  readonly form: EnvelopeForm;
  /**
   * The record's envelope could not be read (a malformed `ferry-envelope` or CloudEvents header):
   * `envelope` is what could be kept, with an id from the coordinates. Core dead-letters it.
   */
  readonly error?: DecodeError | undefined;
}

/** Never throws for a record's content: an unreadable envelope comes back with `error` set (the fetch loop goes on). */
export function decode(recordTopic: string, partition: number, message: DriverMessage): Decoded {
  const headers: Record<string, string> = {};
  let packed: Buffer | string | undefined;
  let id = '';
  let type = '';
  let attempt = 1;
  let dueAt = 0;
  let topic = recordTopic;
  let cloudEvent: Record<string, string> | undefined;
  for (const name in message.headers ?? {}) {
    const raw = message.headers![name];
    if (name === H.envelope) {
      packed = last(raw);
      continue;
    }
    const value = headerValue(raw);
    if (value === undefined) continue;
    switch (name) {
      case H.id:
        id = value;
        break;
      case H.type:
        type = value;
        break;
      case H.attempt:
        attempt = Math.max(1, Number.parseInt(value, 10) || 1);
        break;
      case H.due:
        dueAt = Number(value) || 0;
        break;
      case H.topic:
        topic = value;
        break;
      default:
        if (name.startsWith(CE_PREFIX) && isCloudEventsAttributeName(name.slice(CE_PREFIX.length))) (cloudEvent ??= {})[name.slice(CE_PREFIX.length)] = value;
        else headers[name] = value;
    }
  }
  let timestamp = Number(message.timestamp);
  let form: EnvelopeForm = 'headers';
  let error: DecodeError | undefined;
  try {
    if (packed !== undefined) {
      form = 'compact';
      const fields = unpackEnvelope(packed);
      id = fields.id;
      type = fields.type;
      if (fields.contentType !== undefined) headers[HEADERS.contentType] = fields.contentType;
    } else if (cloudEvent !== undefined && cloudEvent['specversion'] !== undefined) {
      form = 'cloudevents';
      const contentType = headers[H.contentType];
      if (contentType !== undefined) {
        delete headers[H.contentType];
        cloudEvent['datacontenttype'] = contentType;
      }
      const fields = fromCloudEvent({ attributes: cloudEvent, nameOf: (a) => (a === 'datacontenttype' ? H.contentType : CE_PREFIX + a), topic });
      id = fields.id;
      type = fields.type;
      if (fields.timestamp !== undefined) timestamp = fields.timestamp;
      Object.assign(headers, fields.headers);
      cloudEvent = undefined;
    }
  } catch (cause) {
    if (!(cause instanceof DecodeError)) throw cause;
    error = cause;
    id = '';
    type = '';
  }
  // ce_ headers of a record that is not a CloudEvent are ordinary headers.
  if (cloudEvent !== undefined) for (const name in cloudEvent) headers[CE_PREFIX + name] = cloudEvent[name]!;
  const value = message.value ?? Buffer.alloc(0);
  const envelope: Envelope = {
    // A record from a foreign producer has no id: its coordinates identify it (a retry copy
    // carries the id made here, so every attempt of the record has the same one).
    id: id || `${recordTopic}-${partition}-${message.offset}`,
    type,
    topic,
    key: message.key === null || message.key === undefined ? undefined : message.key.toString('utf8'),
    headers,
    payload: value, // a Buffer is a Uint8Array: no second view per record
    timestamp,
  };
  return error === undefined ? { envelope, attempt, dueAt, form } : { envelope, attempt, dueAt, form, error };
}

type HeaderRaw = Buffer | string | (Buffer | string | undefined)[] | undefined;

function last(raw: HeaderRaw): Buffer | string | undefined {
  return Array.isArray(raw) ? raw[raw.length - 1] : raw;
}

function headerValue(raw: HeaderRaw): string | undefined {
  const one = last(raw);
  if (one === undefined) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}
