import type { ConsumeMessage, Options } from 'amqplib';
import { DecodeError, fromCloudEvent, HEADERS, isCloudEventsAttributeName, toCloudEvent, type Envelope, type OutgoingMessage } from '@ferry/core/spi';

/**
 * Envelope <-> AMQP message. id and type go to the standard `message-id` / `type` properties (seen
 * by other AMQP tools); what AMQP has no field for travels in `x-ferry-*` headers, which are
 * removed again on receive together with the headers the broker adds (x-death, x-delivery-count,
 * x-stream-offset, ...), so an envelope's headers round-trip exactly.
 *
 * With the `envelope: 'cloudevents'` option, id, type, time and source travel as the CloudEvents
 * AMQP binding has them in binary mode instead: `cloudEvents:<attribute>` headers (RabbitMQ's
 * AMQP 0-9-1 headers are AMQP 1.0's application properties) and the content-type property (core's
 * cloudevents.ts maps them). Both forms are read.
 */
export const H = {
  id: 'x-ferry-id',
  type: 'x-ferry-type',
  key: 'x-ferry-key',
  /** Only on retry copies (they name no exchange); a queue's messages are otherwise of its topic. */
  topic: 'x-ferry-topic',
  timestamp: 'x-ferry-timestamp',
  /** Attempt number of a republished retry copy (RabbitMQ's redelivered flag is only a boolean). */
  attempt: 'x-ferry-attempt',
  /** Selects the delay tier queue on a topic's headers exchange. */
  delayTier: 'x-ferry-delay-tier',
} as const;

export type EnvelopeForm = 'properties' | 'cloudevents';

export interface WireFormat {
  readonly form: EnvelopeForm;
  /** CloudEvents source; undefined: `ferry://<topic>`. */
  readonly cloudEventsSource?: string | undefined;
}

const PROPERTIES: WireFormat = { form: 'properties' };
/** The binding's prefix; `cloudEvents_` (the form for JMS-style names) is read too. */
const CE_PREFIX = 'cloudEvents:';
const CE_PREFIX_ALT = 'cloudEvents_';

const BROKER_HEADERS = new Set([
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
  'x-stream-offset',
  'x-received-from',
  'CC',
  'BCC',
]);

/** AMQP short strings (message-id, type) hold at most 255 bytes; longer values go in headers. */
const SHORTSTR_MAX = 255;

export function encode(message: OutgoingMessage, format: WireFormat = PROPERTIES): { content: Buffer; options: Options.Publish } {
  if (format.form === 'cloudevents') return encodeCloudEvent(message, format.cloudEventsSource);
  // Every header costs encoding on both ends and bytes in the queue: the topic is known from the
  // queue a message is read from, and the content type has an AMQP property of its own.
  const headers: Record<string, unknown> = {};
  let contentType: string | undefined;
  const given = message.headers;
  for (const name in given) {
    if (name === HEADERS.contentType) contentType = given[name];
    else headers[name] = given[name];
  }
  headers[H.timestamp] = message.timestamp;
  if (message.key !== undefined) headers[H.key] = message.key;
  const options: Options.Publish = {
    persistent: true,
    mandatory: true,
    headers,
    timestamp: Math.floor(message.timestamp / 1000),
    contentType,
  };
  if (fitsShortString(message.id)) options.messageId = message.id;
  else headers[H.id] = message.id;
  if (fitsShortString(message.type)) options.type = message.type;
  else headers[H.type] = message.type;
  if (message.priority !== undefined) options.priority = message.priority;
  return { content: contentOf(message), options };
}

/** Binary content mode: each attribute once, as a `cloudEvents:` header; datacontenttype as the content-type property. */
function encodeCloudEvent(message: OutgoingMessage, source: string | undefined): { content: Buffer; options: Options.Publish } {
  const event = toCloudEvent(message, source);
  const headers: Record<string, unknown> = { ...event.headers };
  for (const name in event.attributes) if (name !== 'datacontenttype') headers[CE_PREFIX + name] = event.attributes[name];
  if (message.key !== undefined) headers[H.key] = message.key;
  const options: Options.Publish = { persistent: true, mandatory: true, headers, contentType: event.attributes['datacontenttype'] };
  if (message.priority !== undefined) options.priority = message.priority;
  return { content: contentOf(message), options };
}

function contentOf(message: OutgoingMessage): Buffer {
  const p = message.payload;
  // A view, not a copy: the bytes are written to the socket before publish() returns.
  return Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** At most 255 UTF-8 bytes (a UTF-16 unit is at most 3 bytes: short strings skip the count). */
export function fitsShortString(value: string): boolean {
  return value.length <= 85 || Buffer.byteLength(value) <= SHORTSTR_MAX;
}

/**
 * `topic`: the subscription's; a message in a group queue or stream is of the queue's topic. A
 * CloudEvent whose attributes do not read (no id, a bad time) is read like any AMQP message, its
 * `cloudEvents:` headers kept as headers.
 */
export function decode(msg: ConsumeMessage, topic: string): Envelope {
  const raw = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  let attributes: Record<string, string> | undefined;
  for (const name of Object.keys(raw)) {
    if (name.startsWith('x-ferry-') || BROKER_HEADERS.has(name)) continue;
    const value = raw[name];
    const attribute = cloudEventsAttribute(name);
    if (attribute !== undefined) {
      const text = attributeText(attribute, value);
      if (text !== undefined) (attributes ??= {})[attribute] = text;
      continue;
    }
    if (typeof value === 'string') headers[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') headers[name] = String(value);
    else if (Buffer.isBuffer(value)) headers[name] = value.toString('utf8');
  }
  if (typeof msg.properties.contentType === 'string') headers[HEADERS.contentType] = msg.properties.contentType;
  if (raw['x-death'] !== undefined && headers[HEADERS.deadLetterReason] === undefined) describeBrokerDeadLetter(raw, headers);
  const c = msg.content;
  const envelope: Envelope = {
    id: str(raw[H.id]) ?? str(msg.properties.messageId) ?? '',
    type: str(raw[H.type]) ?? str(msg.properties.type) ?? '',
    topic,
    key: str(raw[H.key]),
    headers,
    payload: new Uint8Array(c.buffer, c.byteOffset, c.byteLength),
    timestamp: num(raw[H.timestamp]) ?? timestampSeconds(msg.properties.timestamp) ?? 0,
  };
  if (attributes === undefined) return envelope;
  const event = readCloudEvent(attributes, topic);
  if (event === undefined) {
    for (const name in attributes) headers[CE_PREFIX + name] = attributes[name]!;
    return envelope;
  }
  Object.assign(headers, event.headers);
  return { ...envelope, id: event.id, type: event.type, timestamp: event.timestamp ?? envelope.timestamp };
}

function readCloudEvent(attributes: Record<string, string>, topic: string): ReturnType<typeof fromCloudEvent> | undefined {
  if (attributes['specversion'] === undefined) return undefined;
  try {
    return fromCloudEvent({ attributes, nameOf: (a) => CE_PREFIX + a, topic });
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
}

/** The CloudEvents attribute a header holds (`cloudEvents:id` → `id`), or undefined. */
function cloudEventsAttribute(name: string): string | undefined {
  if (name.charCodeAt(0) !== 99 /* c */) return undefined;
  const prefixed = name.startsWith(CE_PREFIX) || name.startsWith(CE_PREFIX_ALT);
  if (!prefixed) return undefined;
  const attribute = name.slice(CE_PREFIX.length);
  return isCloudEventsAttributeName(attribute) ? attribute : undefined;
}

/** The binding allows native AMQP types: a timestamp (seconds in 0-9-1), numbers, booleans. */
function attributeText(attribute: string, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (attribute === 'time' && typeof value === 'number') return new Date(value * 1000).toISOString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

interface Death {
  readonly reason?: unknown;
  readonly queue?: unknown;
  readonly exchange?: unknown;
  readonly count?: unknown;
}

/**
 * A message the broker itself dead-lettered (the delivery limit of a quorum queue) carries only
 * `x-death`: describe it with Ferry's dead-letter headers, so it reads like core's dead letters
 * (reason, kind, origin) and redrive finds its topic.
 */
function describeBrokerDeadLetter(raw: Record<string, unknown>, headers: Record<string, string>): void {
  const deaths = Array.isArray(raw['x-death']) ? (raw['x-death'] as Death[]) : [];
  const death = deaths.find((d) => d.reason === 'delivery_limit');
  if (!death) return; // expiries of Ferry's own delay queues are not dead letters
  const queue = str(death.queue) ?? '';
  const topic = str(raw[H.topic]) ?? str(death.exchange) ?? '';
  headers[HEADERS.deadLetterReason] = `RabbitMQ dead-lettered the message: queue \`${queue}\` reached its delivery limit`;
  headers[HEADERS.deadLetterKind] = 'delivery-limit';
  if (topic) headers[HEADERS.originalTopic] = topic;
  if (topic && queue.startsWith(`${topic}.`)) headers[HEADERS.originalGroup] = queue.slice(topic.length + 1);
  headers[HEADERS.originalCoordinates] = JSON.stringify({ queue, exchange: str(death.exchange) ?? '' });
}

/**
 * Attempt = the attempt a retry copy was republished with (1 for an original) plus the releases
 * since: quorum queues count them in `x-delivery-count`; classic queues only say `redelivered`.
 */
export function attemptOf(msg: ConsumeMessage): number {
  const raw = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const base = num(raw[H.attempt]) ?? 1;
  const count = num(raw['x-delivery-count']);
  if (count !== undefined) return base + count;
  return base + (msg.fields.redelivered ? 1 : 0);
}

/**
 * Headers of a retry copy: the original's minus what the broker added, with the next attempt and
 * the topic (the copy travels through the default exchange, which names no topic).
 */
export function retryHeaders(msg: ConsumeMessage, nextAttempt: number, topic: string): Record<string, unknown> {
  const raw = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const headers: Record<string, unknown> = {};
  for (const name of Object.keys(raw)) if (!BROKER_HEADERS.has(name)) headers[name] = raw[name];
  headers[H.attempt] = nextAttempt;
  headers[H.topic] = topic;
  return headers;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

function timestampSeconds(value: unknown): number | undefined {
  return typeof value === 'number' ? value * 1000 : undefined;
}
