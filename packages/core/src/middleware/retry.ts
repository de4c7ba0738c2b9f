import type { RetryOptions } from '../config/consumer-options.ts';
import { isRetryable } from '../errors.ts';
import { backoffDelay } from './backoff.ts';
import type { Middleware } from './types.ts';

/**
 * Turns a failed attempt into a delayed redelivery while attempts remain and the error is
 * retryable. Otherwise the error goes on outwards (to the dead-letter middleware).
 */
export function retry(policy: RetryOptions, random?: () => number): Middleware {
  return (next) => async (ctx) => {
    try {
      await next(ctx);
    } catch (error) {
      if (!isRetryable(error) || ctx.attempt >= policy.attempts) throw error;
      ctx.outcome = { kind: 'retry', delayMs: backoffDelay(policy, ctx.attempt, random), error };
    }
  };
}
