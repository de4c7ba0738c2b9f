import { HEADERS, type Envelope } from '@ferry/core/spi';
import type { DriverMessage, ProducerRecord } from './driver.ts';

/**
 * Envelope <-> Kafka record. The key is the record key (the partition key), the payload the
 * value, the timestamp the record timestamp (CreateTime, what replay by timestamp looks up); id
 * and type travel in `ferry-id` / `ferry-type` headers. Headers only the adapter uses (attempt,
 * due time, the topic of a retry copy) are removed on receive, so envelope headers round-trip
 * exactly and a dead letter or a redriven message does not carry them on.
 */
export const H = {
  id: 'ferry-id',
  type: 'ferry-type',
  attempt: HEADERS.attempt,
  /** Epoch ms before which a retry or delayed copy must not be delivered. */
  due: 'ferry-due',
  /** The envelope topic of a copy in a retry or delay topic. */
  topic: 'ferry-topic',
} as const;

const PRIVATE = new Set<string>([H.id, H.type, H.attempt, H.due, H.topic]);

/** Bytes the record adds beyond `envelopeSize` (id and type headers, record framing), for batch sizing. */
export function recordOverhead(message: Envelope): number {
  return 64 + Buffer.byteLength(message.id) + Buffer.byteLength(message.type);
}

export interface RecordExtras {
  /** Overrides the record's topic (retry and delay copies). */
  readonly recordTopic?: string;
  readonly attempt?: number;
  readonly dueAt?: number;
}

export function encode(message: Envelope, extras: RecordExtras = {}): ProducerRecord {
  const headers: Record<string, string> = {};
  for (const name in message.headers) if (!PRIVATE.has(name)) headers[name] = message.headers[name]!;
  headers[H.id] = message.id;
  headers[H.type] = message.type;
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

export interface Decoded {
  readonly envelope: Envelope;
  readonly attempt: number;
  /** Due time of a delayed or retry copy; 0 when deliverable at once. */
  readonly dueAt: number;
}

export function decode(recordTopic: string, partition: number, message: DriverMessage): Decoded {
  const headers: Record<string, string> = {};
  let id = '';
  let type = '';
  let attempt = 1;
  let dueAt = 0;
  let topic = recordTopic;
  for (const name in message.headers ?? {}) {
    const raw = message.headers![name];
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
        headers[name] = value;
    }
  }
  const value = message.value ?? Buffer.alloc(0);
  const envelope: Envelope = {
    // A record from a foreign producer has no ferry-id: its coordinates identify it (a retry copy
    // carries the id made here, so every attempt of the record has the same one).
    id: id || `${recordTopic}-${partition}-${message.offset}`,
    type,
    topic,
    key: message.key === null || message.key === undefined ? undefined : message.key.toString('utf8'),
    headers,
    payload: value, // a Buffer is a Uint8Array: no second view per record
    timestamp: Number(message.timestamp),
  };
  return { envelope, attempt, dueAt };
}

function headerValue(raw: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const one = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (one === undefined) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}
