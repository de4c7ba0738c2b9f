import type { Codec } from '../codec.ts';
import type { MessageDefinition } from '../message.ts';
import { safeParseSync } from '../schema-parse.ts';
import type { GatedDelivery } from './delivery-gate.ts';

/** What readPayload returns for a message only the per-message chain can deal with. */
export const NOT_READ = Symbol('not read');

/**
 * A delivery's payload, decoded and validated in line, for the fast paths (the batch lane, direct
 * handling). NOT_READ when the chain must take it: an unreadable envelope or body, a schema
 * failure, or an async schema; the chain's decode and validateSchema steps then report or
 * dead-letter it with their own errors.
 */
export function readPayload(delivery: GatedDelivery, definition: MessageDefinition, codec: Codec): unknown {
  if (delivery.envelopeError !== undefined) return NOT_READ;
  try {
    const result = safeParseSync(definition.schema, codec.decode(delivery.envelope.payload));
    return result?.success ? result.data : NOT_READ;
  } catch {
    return NOT_READ;
  }
}
