import type { Envelope } from './envelope.ts';

const utf8 = new TextEncoder();

/** Bytes a message occupies on the wire, roughly: payload + key + header names and values. */
export function envelopeSize(message: Envelope): number {
  let size = message.payload.byteLength + (message.key ? utf8.encode(message.key).byteLength : 0);
  for (const [name, value] of Object.entries(message.headers)) {
    size += utf8.encode(name).byteLength + utf8.encode(value).byteLength;
  }
  return size;
}
