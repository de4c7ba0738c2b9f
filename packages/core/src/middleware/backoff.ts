import type { RetryOptions } from '../config/consumer-options.ts';

/**
 * Delay before the retry that follows failed attempt `attempt` (1-based): exponential, capped at
 * maxDelayMs, with the `jitter` fraction drawn at random so a burst of failures spreads out.
 */
export function backoffDelay(policy: RetryOptions, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (1 - policy.jitter * random()));
}
