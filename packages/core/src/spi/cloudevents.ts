import { DecodeError } from '../errors.ts';
import { HEADERS, type Envelope } from './envelope.ts';

/**
 * Envelope <-> CloudEvents 1.0 context attributes, for the protocol bindings' binary content mode
 * (Kafka: `ce_` headers and `content-type`; AMQP: `cloudEvents:` application properties and the
 * content-type property). The adapters add the binding's names; the mapping is here, once:
 *
 *   id ↔ id · type ↔ type · timestamp ↔ time (RFC 3339) · `ferry-content-type` header ↔ datacontenttype
 *   source ← the adapter's option, default `ferry://<topic>`
 *
 * Attributes an envelope has no field for (source, subject, dataschema, extensions) travel in
 * envelope headers named `ce_<attribute>`, so a dead letter, a redrive or a bridge keeps them; a
 * `ce_source` header overrides the configured source. A source equal to the default for the topic
 * is left out on the way in: what Ferry derives is not repeated.
 */
export const CLOUDEVENTS_SPEC_VERSION = '1.0';

/** Envelope headers holding CloudEvents attributes without an envelope field: `ce_subject`, `ce_source`... */
export const CLOUDEVENTS_HEADER_PREFIX = 'ce_';

/** The source Ferry gives events of a topic when no `cloudEventsSource` option is set. */
export function defaultCloudEventsSource(topic: string): string {
  return `ferry://${topic}`;
}

/** The attributes of an outgoing event (names without a binding's prefix), and the envelope headers that are not attributes. */
export interface OutgoingCloudEvent {
  readonly attributes: Record<string, string>;
  readonly headers: Record<string, string>;
}

export function toCloudEvent(message: Envelope, source: string | undefined): OutgoingCloudEvent {
  const attributes: Record<string, string> = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: message.id,
    type: message.type,
    source: source ?? defaultCloudEventsSource(message.topic),
    time: new Date(message.timestamp).toISOString(),
  };
  const headers: Record<string, string> = {};
  for (const name in message.headers) {
    const value = message.headers[name]!;
    if (name === HEADERS.contentType) attributes['datacontenttype'] = value;
    else if (name.startsWith(CLOUDEVENTS_HEADER_PREFIX) && isCloudEventsAttributeName(name.slice(CLOUDEVENTS_HEADER_PREFIX.length))) {
      attributes[name.slice(CLOUDEVENTS_HEADER_PREFIX.length)] = value;
    } else headers[name] = value;
  }
  return { attributes, headers };
}

/** What an incoming event gives an envelope: its attributes (names without the binding's prefix), already strings. */
export interface IncomingCloudEvent {
  readonly attributes: Readonly<Record<string, string>>;
  /** The binding's name of an attribute, for error messages (`ce_id`, `cloudEvents:id`). */
  readonly nameOf: (attribute: string) => string;
  /** The envelope's topic (the default source is left out of the headers for it). */
  readonly topic: string;
}

export interface EnvelopeFields {
  readonly id: string;
  readonly type: string;
  /** Epoch ms of `time`; undefined when the event has none (the binding's own timestamp then). */
  readonly timestamp: number | undefined;
  /** `ferry-content-type` and `ce_<attribute>` headers to add to the envelope's headers. */
  readonly headers: Record<string, string>;
}

/**
 * Reads an event's attributes strictly: specversion 1.x, a non-empty id, source and type, a time
 * that is RFC 3339. Anything else throws a DecodeError naming the binding's header or property.
 */
export function fromCloudEvent(event: IncomingCloudEvent): EnvelopeFields {
  const { attributes, nameOf } = event;
  const specversion = attributes['specversion'];
  if (specversion === undefined || !/^1\.\d+$/.test(specversion)) {
    throw new DecodeError(`CloudEvents attribute \`${nameOf('specversion')}\` is ${specversion === undefined ? 'missing' : JSON.stringify(specversion)}; Ferry reads CloudEvents 1.x`);
  }
  const required = (name: string): string => {
    const value = attributes[name];
    if (value === undefined || value === '') throw new DecodeError(`CloudEvents attribute \`${nameOf(name)}\` is missing or empty; an event needs id, source and type`);
    return value;
  };
  const id = required('id');
  const type = required('type');
  const source = required('source');
  let timestamp: number | undefined;
  const time = attributes['time'];
  if (time !== undefined) {
    timestamp = RFC3339.test(time) ? Date.parse(time) : Number.NaN;
    if (Number.isNaN(timestamp)) throw new DecodeError(`CloudEvents attribute \`${nameOf('time')}\` is not an RFC 3339 timestamp: ${JSON.stringify(time.slice(0, 60))}`);
  }
  const headers: Record<string, string> = {};
  for (const name in attributes) {
    if (name === 'specversion' || name === 'id' || name === 'type' || name === 'time') continue;
    if (name === 'datacontenttype') headers[HEADERS.contentType] = attributes[name]!;
    else if (name === 'source') {
      if (source !== defaultCloudEventsSource(event.topic)) headers[`${CLOUDEVENTS_HEADER_PREFIX}source`] = source;
    } else headers[`${CLOUDEVENTS_HEADER_PREFIX}${name}`] = attributes[name]!;
  }
  return { id, type, timestamp, headers };
}

/** CloudEvents attribute names: lower-case letters and digits (spec 1.0, "Attribute Naming Convention"). */
export function isCloudEventsAttributeName(name: string): boolean {
  return /^[a-z0-9]{1,20}$/.test(name);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
