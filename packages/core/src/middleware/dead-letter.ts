import type { Middleware } from './types.ts';

/**
 * The last stop for a failure: marks the outcome `dead-letter` with the error. It sends nothing
 * itself: the consume loop (consumer/settle.ts) writes the copy to the dead-letter topic with the
 * reason, attempts and origin in headers, then acks. Errors never escape this point, so one bad
 * message never stops the consumer.
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
