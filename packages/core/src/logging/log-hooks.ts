import type { ConsumerHooks } from '../consumer/hooks.ts';
import type { MessageContext } from '../middleware/types.ts';
import { levelEnabled, type Logger } from './logger.ts';
import { errorFields } from './redact-fields.ts';

/** The fields every line about one message carries: which message, where, which attempt. */
export function messageFields(ctx: MessageContext): Record<string, unknown> {
  return { messageId: ctx.envelope.id, messageType: ctx.envelope.type, topic: ctx.envelope.topic, group: ctx.group, attempt: ctx.attempt };
}

/**
 * The consumer's hooks with logging added where something went wrong or a message left the normal
 * path: errors at `error` (settling, hooks, the transport), dead letters at `info`, retries at
 * `debug`. The application's own hooks still run, after the log line. Success paths are not
 * wrapped: nothing is added per message that ends well.
 */
export function loggingHooks(hooks: ConsumerHooks, logger: Logger): ConsumerHooks {
  return {
    ...hooks,
    onRetry(ctx, error, delayMs) {
      if (levelEnabled(logger, 'debug')) logger.debug({ ...messageFields(ctx), delayMs, err: errorFields(error) }, 'message failed; retrying');
      hooks.onRetry?.(ctx, error, delayMs);
    },
    onDeadLetter(ctx, error, deadLetterTopic) {
      if (levelEnabled(logger, 'info')) logger.info({ ...messageFields(ctx), deadLetterTopic, err: errorFields(error) }, 'message dead-lettered');
      hooks.onDeadLetter?.(ctx, error, deadLetterTopic);
    },
    onError(error, ctx) {
      logger.error({ ...(ctx ? messageFields(ctx) : {}), err: errorFields(error) }, 'consumer error');
      hooks.onError?.(error, ctx);
    },
  };
}
