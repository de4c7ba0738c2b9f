import type { Codec } from '../codec.ts';
import { NonRetryableError } from '../errors.ts';
import type { MessageDefinition } from '../message.ts';
import type { Middleware } from './types.ts';

/**
 * Finds the message definition by the envelope's type and decodes the payload bytes. Undecodable
 * bytes and unknown types fail without retry (retrying cannot fix them).
 */
export function decode(codec: Codec, definitions: ReadonlyMap<string, MessageDefinition>, unknownTypes: 'dead-letter' | 'ignore'): Middleware {
  // Not async: a step that finishes synchronously hands on next's promise instead of adding a
  // frame and a promise of its own (this runs for every message); failures still reject.
  return (next) => (ctx) => {
    const definition = definitions.get(ctx.envelope.type);
    if (!definition) {
      if (unknownTypes === 'ignore') {
        ctx.outcome = { kind: 'ignored' };
        return Promise.resolve();
      }
      return Promise.reject(
        new NonRetryableError(
          `No handler for message type ${JSON.stringify(ctx.envelope.type)} on topic ${JSON.stringify(ctx.envelope.topic)} ` +
            `(handled: ${[...definitions.keys()].join(', ')}). Register one with consumer.handle(), or set unknownTypes: 'ignore'.`,
          { kind: 'unknown-type' },
        ),
      );
    }
    ctx.definition = definition;
    try {
      ctx.payload = codec.decode(ctx.envelope.payload);
    } catch (error) {
      return Promise.reject(error);
    }
    return next(ctx);
  };
}
