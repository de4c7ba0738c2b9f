import type { MessageContext } from '../middleware/types.ts';

/**
 * Observation points of the consume loop, for metrics and logs. A hook that throws is reported to
 * `onError` and otherwise ignored.
 */
export interface ConsumerHooks {
  /** The handler succeeded and the message was acknowledged. */
  onProcessed?(ctx: MessageContext): void;
  /** The handler failed; the message comes back after `delayMs`. */
  onRetry?(ctx: MessageContext, error: unknown, delayMs: number): void;
  /** The message went to the dead-letter topic. */
  onDeadLetter?(ctx: MessageContext, error: unknown, deadLetterTopic: string): void;
  /** An idempotency key already had its effect: the copy was acknowledged without a second effect. */
  onDuplicate?(ctx: MessageContext): void;
  /** A message of a type with no handler was acknowledged (unknownTypes: 'ignore'). */
  onIgnored?(ctx: MessageContext): void;
  /** Failures outside the handler: settling, hooks, transport errors. */
  onError?(error: unknown, ctx?: MessageContext): void;
}
