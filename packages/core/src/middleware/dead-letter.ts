import type { Middleware } from './types.ts';

/**
 * The last stop for a failure: the message goes to the dead-letter topic (the loop sends it there
 * with the reason, attempts and source in headers, then acks). Errors never escape this point,
 * so one bad message never stops the consumer.
 */
export function deadLetter(): Middleware {
  return (next) => async (ctx) => {
    try {
      await next(ctx);
    } catch (error) {
      ctx.outcome = { kind: 'dead-letter', error };
    }
  };
}
