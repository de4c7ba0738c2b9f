import type { IdempotencyStore } from '../idempotency/store.ts';
import type { MessageContext, Middleware } from './types.ts';

export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  readonly ttlMs: number;
  readonly leaseMs: number;
  /** Default: `<group>:<message id>`, so each group has its own effect. */
  readonly key?: (ctx: MessageContext) => string;
  /** How often a copy waiting for an in-progress twin looks again. */
  readonly pollMs?: number;
}

/**
 * Gives each message key one effect. A copy whose twin is still running waits for the twin's
 * outcome: completed → acknowledged as a duplicate; released (twin failed) → claims and runs.
 * The key is marked completed only once the outcome is durable (ctx.onCommit).
 */
export function idempotency(options: IdempotencyOptions): Middleware {
  const keyOf = options.key ?? ((ctx: MessageContext) => `${ctx.group}:${ctx.envelope.id}`);
  const pollMs = options.pollMs ?? 20;
  return (next) => async (ctx) => {
    const key = keyOf(ctx);
    let state = await options.store.claim(key, options.leaseMs);
    const waitUntil = Date.now() + options.leaseMs;
    while (state === 'in-progress' && Date.now() < waitUntil && !ctx.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      state = await options.store.claim(key, options.leaseMs);
    }
    if (state === 'completed') {
      ctx.outcome = { kind: 'duplicate' };
      return;
    }
    if (state === 'in-progress') throw new Error(`Message key ${JSON.stringify(key)} is still being handled elsewhere`);
    // An attempt abandoned at close (its signal aborts) gives the key up, so the redelivery runs
    // at once instead of waiting out the lease.
    const giveUp = () => void options.store.release(key);
    ctx.signal.addEventListener('abort', giveUp, { once: true });
    try {
      await next(ctx);
    } catch (error) {
      await options.store.release(key);
      throw error;
    } finally {
      ctx.signal.removeEventListener('abort', giveUp);
    }
    ctx.onCommit(() => options.store.complete(key, options.ttlMs));
  };
}
