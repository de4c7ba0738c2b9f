import { messageFields } from '../logging/log-hooks.ts';
import { stderrLogger } from '../logging/logger.ts';
import { errorFields } from '../logging/redact-fields.ts';
import type { ConsumerHooks } from './hooks.ts';
import type { DeliveryContext } from './message-context.ts';

/** Calls the hook that matches a successful outcome (processed, duplicate, ignored). */
export function notifySuccess(ctx: DeliveryContext, hooks: ConsumerHooks): void {
  const kind = ctx.outcome?.kind;
  if (kind === 'duplicate') safe(hooks, () => hooks.onDuplicate?.(ctx), ctx);
  else if (kind === 'ignored') safe(hooks, () => hooks.onIgnored?.(ctx), ctx);
  // Looked at first: most consumers have no onProcessed, and the closure is made per message.
  else if (hooks.onProcessed) safe(hooks, () => hooks.onProcessed?.(ctx), ctx);
}

/** Runs a user hook; a hook that throws is reported, never allowed to break settlement. */
export function safe(hooks: ConsumerHooks, fn: () => void, ctx: DeliveryContext): void {
  try {
    fn();
  } catch (error) {
    report(hooks, error, ctx);
  }
}

/** Consumers' hooks always have onError (logging, see log-hooks.ts); the fallback serves hook sets built elsewhere. */
const fallback = stderrLogger();

export function report(hooks: ConsumerHooks, error: unknown, ctx?: DeliveryContext): void {
  try {
    if (hooks.onError) hooks.onError(error, ctx);
    else fallback.error({ ...(ctx ? messageFields(ctx) : {}), err: errorFields(error) }, 'consumer error');
  } catch {
    // An onError that throws has nowhere left to report to.
  }
}
