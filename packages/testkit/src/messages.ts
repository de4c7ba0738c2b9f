import { defineMessage, type Codec, type MessageDefinition } from '@ferry/core';
import { z } from 'zod';

/** The suite's usual message: a sequence number, optionally a tag (which publisher, which key). */
export const itemSchema = z.object({ n: z.number().int().min(0), tag: z.string().optional() }).strict();
export type Item = z.output<typeof itemSchema>;
export type ItemMessage = MessageDefinition<typeof itemSchema>;

export function itemMessage(topic: string): ItemMessage {
  return defineMessage('conformance.item', itemSchema, { topic });
}

/** Raw bytes as the payload, through `bytesCodec`: what arrives must be the bytes sent. */
export const bytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be a Uint8Array');
export type BytesMessage = MessageDefinition<typeof bytesSchema>;

export function bytesMessage(topic: string): BytesMessage {
  return defineMessage('conformance.bytes', bytesSchema, { topic });
}

/** A pass-through codec: payload bytes in, the same bytes out. */
export const bytesCodec: Codec = {
  contentType: 'application/octet-stream',
  encode(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError('bytesCodec encodes Uint8Array payloads only');
    return value;
  },
  decode(bytes) {
    return bytes;
  },
};

/** Strings through the default JSON codec. */
export const textSchema = z.string();
export function textMessage(topic: string): MessageDefinition<typeof textSchema> {
  return defineMessage('conformance.text', textSchema, { topic });
}

/** An order with a strict schema, and a looser twin of the same type to publish what the strict one refuses. */
export const orderSchema = z.object({ orderId: z.string().min(1), quantity: z.number().int().positive() }).strict();
export const looseOrderSchema = z.object({ orderId: z.unknown(), quantity: z.unknown() });

export function orderMessages(topic: string): { strict: MessageDefinition<typeof orderSchema>; loose: MessageDefinition<typeof looseOrderSchema> } {
  return {
    strict: defineMessage('conformance.order', orderSchema, { topic }),
    loose: defineMessage('conformance.order', looseOrderSchema, { topic }),
  };
}

/** Bytes 0..255 then pseudo-random ones (deterministic per seed), `length` long. */
export function binaryPayload(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    if (i < 256) {
      bytes[i] = i;
      continue;
    }
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
