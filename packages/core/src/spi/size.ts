import type { Envelope } from './envelope.ts';

/** Bytes a message occupies on the wire, roughly: payload + key + header names and values. */
export function envelopeSize(message: Envelope): number {
  // Buffer.byteLength counts UTF-8 bytes without allocating an encoded copy.
  let size = message.payload.byteLength + (message.key ? Buffer.byteLength(message.key) : 0);
  for (const name in message.headers) size += Buffer.byteLength(name) + Buffer.byteLength(message.headers[name]!);
  return size;
}
