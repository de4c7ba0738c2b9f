import type { Codec } from '../codec.ts';
import type { HandlerFn } from '../middleware/types.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Delivery, Transport } from '../spi/transport.ts';
import { deadLetterMessage } from './dead-letter-message.ts';
import type { ConsumerHooks } from './hooks.ts';
import { DeliveryContext } from './message-context.ts';
import type { RunningContexts } from './running-contexts.ts';

export type DeliveryMode = 'at-most-once' | 'at-least-once' | 'exactly-once';

export interface LoopSettings {
  readonly transport: Transport;
  readonly codec: Codec;
  readonly group: string;
  readonly mode: DeliveryMode;
  readonly deadLetter: { readonly topicFor: (topic: string) => string; readonly includeStack: boolean } | false;
  /** The composed middleware chain around the handlers. */
  readonly chain: HandlerFn;
  /** Redelivery delay for a failure that nothing else settled (dead-letter disabled). */
  readonly fallbackRetryDelayMs: number;
  readonly hooks: ConsumerHooks;
}

/** Thrown inside a transaction to abort it when the chain settled the message as a failure. */
const ABORT = Symbol('abort transaction');

/**
 * The consume loop for one delivery, the same on every transport:
 *
 *   at-most-once:  ack → chain
 *   at-least-once: chain → ack | nack(delay) | dead-letter (send copy, then ack)
 *   exactly-once:  like at-least-once with the idempotency middleware in the chain; on a
 *                  transport with transactions, chain + publishes + ack commit in one transaction.
 */
export async function processDelivery(delivery: Delivery, settings: LoopSettings, running: RunningContexts): Promise<void> {
  const ctx = new DeliveryContext(delivery, settings.group, settings.transport, settings.codec);
  running.add(ctx);
  try {
    if (settings.mode === 'at-most-once') {
      // If this ack fails we cannot know whether the broker took it: skip the handler, so the
      // message runs at most once.
      await delivery.ack();
    }
    if (settings.mode === 'exactly-once' && delivery.transact) {
      if (await runInTransaction(delivery, ctx, settings)) return;
    } else {
      // runChain inlined (an async frame less on the path of every message).
      try {
        await settings.chain(ctx);
      } catch (error) {
        keepForRetry(ctx, settings, error);
      }
    }
    await settle(ctx, settings);
  } catch (error) {
    report(settings.hooks, error, ctx);
  } finally {
    running.remove(ctx);
  }
}

async function runChain(ctx: DeliveryContext, settings: LoopSettings): Promise<void> {
  try {
    await settings.chain(ctx);
  } catch (error) {
    keepForRetry(ctx, settings, error);
  }
}

/** Only reachable with dead-lettering off: keep the message, try again later. */
function keepForRetry(ctx: DeliveryContext, settings: LoopSettings, error: unknown): void {
  ctx.outcome = { kind: 'retry', delayMs: settings.fallbackRetryDelayMs, error };
}

/** Returns true when the transaction committed (the delivery is settled). */
async function runInTransaction(delivery: Delivery, ctx: DeliveryContext, settings: LoopSettings): Promise<boolean> {
  try {
    await delivery.transact!(async (send) => {
      ctx.transactionalSend = send;
      await runChain(ctx, settings);
      ctx.transactionalSend = undefined;
      const kind = ctx.outcome?.kind;
      if (kind === 'retry' || kind === 'dead-letter') throw ABORT;
    });
  } catch (error) {
    if (error !== ABORT) ctx.outcome = { kind: 'retry', delayMs: 0, error };
    return false;
  }
  await runCommits(ctx);
  notifySuccess(ctx, settings.hooks);
  return true;
}

async function settle(ctx: DeliveryContext, settings: LoopSettings): Promise<void> {
  const { delivery } = ctx;
  const acked = settings.mode === 'at-most-once';
  const outcome = ctx.outcome;
  if (outcome?.kind === 'retry' && !acked) {
    await delivery.nack(outcome.delayMs);
    safe(settings.hooks, () => settings.hooks.onRetry?.(ctx, outcome.error, outcome.delayMs), ctx);
    return;
  }
  if (outcome?.kind === 'dead-letter' || (outcome?.kind === 'retry' && acked)) {
    const error = outcome.error;
    /** Settled by the transaction that wrote the dead letter with the consumed position. */
    let settled = false;
    if (settings.deadLetter) {
      const copy = deadLetterMessage(delivery, error, { deadLetterTopic: settings.deadLetter.topicFor(delivery.envelope.topic), group: settings.group, includeStack: settings.deadLetter.includeStack });
      settled = !acked && settings.mode === 'exactly-once' && (await deadLetterInTransaction(delivery, copy));
      if (!settled) await settings.transport.send([copy]);
      safe(settings.hooks, () => settings.hooks.onDeadLetter?.(ctx, error, copy.topic), ctx);
    } else {
      report(settings.hooks, error, ctx);
    }
    if (!acked && !settled) await delivery.ack();
    return;
  }
  if (ctx.commits) await runCommits(ctx);
  if (!acked) await delivery.ack();
  notifySuccess(ctx, settings.hooks);
}

/**
 * Exactly-once on a transport with transactions: the dead letter and the consumed position commit
 * together (a crash between a plain send and the ack would write the dead letter twice). True when
 * that committed, which settles the delivery; false (nothing written) to fall back to send + ack.
 */
async function deadLetterInTransaction(delivery: Delivery, copy: OutgoingMessage): Promise<boolean> {
  if (!delivery.transact) return false;
  try {
    await delivery.transact((send) => send([copy]));
    return true;
  } catch {
    return false;
  }
}

async function runCommits(ctx: DeliveryContext): Promise<void> {
  for (const commit of ctx.commits ?? []) await commit();
}

function notifySuccess(ctx: DeliveryContext, hooks: ConsumerHooks): void {
  const kind = ctx.outcome?.kind;
  if (kind === 'duplicate') safe(hooks, () => hooks.onDuplicate?.(ctx), ctx);
  else if (kind === 'ignored') safe(hooks, () => hooks.onIgnored?.(ctx), ctx);
  else safe(hooks, () => hooks.onProcessed?.(ctx), ctx);
}

function safe(hooks: ConsumerHooks, fn: () => void, ctx: DeliveryContext): void {
  try {
    fn();
  } catch (error) {
    report(hooks, error, ctx);
  }
}

function report(hooks: ConsumerHooks, error: unknown, ctx?: DeliveryContext): void {
  try {
    if (hooks.onError) hooks.onError(error, ctx);
    else console.error('[ferry] consumer error:', error instanceof Error ? error.message : error);
  } catch {
    // An onError that throws has nowhere left to report to.
  }
}
