import type { HandlerFn } from '../middleware/types.ts';
import type { PublishPipeline } from '../producer/publish-pipeline.ts';
import type { Transport } from '../spi/transport.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import type { ConsumerHooks } from './hooks.ts';
import { DeliveryContext } from './message-context.ts';
import type { RunningContexts } from './running-contexts.ts';
import { persist, settle, type SettleSettings } from './settle.ts';
import { notifySuccess, report } from './report.ts';

export type DeliveryMode = 'at-most-once' | 'at-least-once' | 'exactly-once';

export interface LoopSettings extends SettleSettings {
  readonly transport: Transport;
  readonly publisher: PublishPipeline;
  readonly group: string;
  readonly mode: DeliveryMode;
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
 *   exactly-once:  like at-least-once with the idempotency step in the chain; on a transport with
 *                  transactions, chain + publishes + ack commit in one transaction.
 *
 * Settling never gives up on a delivery while the consumer runs (see settle.ts): a step that fails
 * is tried again, so no message is left unsettled holding a slot.
 */
export async function processDelivery(delivery: GatedDelivery, settings: LoopSettings, running: RunningContexts): Promise<void> {
  const ctx = new DeliveryContext(delivery, settings.group, settings.transport, settings.publisher);
  running.add(ctx);
  try {
    if (settings.mode === 'at-most-once') {
      // Until the broker has the ack the handler does not run; if the consumer closes first, the
      // message is released unhandled (at most once).
      if (!(await persist(() => delivery.ack(), ctx, settings, running))) return;
    }
    const unreadable = delivery.envelopeError;
    if (unreadable !== undefined) {
      // No envelope to run a handler on: dead-lettered (with dead-lettering off, reported and acked).
      ctx.outcome = { kind: 'dead-letter', error: unreadable };
    } else if (settings.mode === 'exactly-once' && delivery.transact) {
      if (await runInTransaction(delivery, ctx, settings)) return;
    } else {
      // runChain inlined (an async frame less on the path of every message).
      try {
        await settings.chain(ctx);
      } catch (error) {
        keepForRetry(ctx, settings, error);
      }
    }
    if (ctx.outcome === undefined && ctx.commits === undefined && settings.mode !== 'at-most-once') {
      // Handled, nothing registered to commit (most messages): the ack awaited here rather than
      // in settle() and persist(), two async frames and a closure less per message.
      try {
        await delivery.ack();
      } catch (error) {
        await ackFailed(ctx, error, settings, running);
      }
      notifySuccess(ctx, settings.hooks);
      return;
    }
    await settle(ctx, settings, running);
  } catch (error) {
    report(settings.hooks, error, ctx);
  } finally {
    running.remove(ctx);
  }
}

/**
 * An ack that failed once: reported, and tried again with persist()'s backoff (after its first
 * wait), unless the consumer released its deliveries (as settle() does).
 */
export async function ackFailed(ctx: DeliveryContext, error: unknown, settings: LoopSettings, running: RunningContexts): Promise<boolean> {
  ctx.delivery.settleFailed();
  report(settings.hooks, error, ctx);
  if (running.released) return false;
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (running.released) return false;
  return persist(() => ctx.delivery.ack(), ctx, settings, running);
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
async function runInTransaction(delivery: GatedDelivery, ctx: DeliveryContext, settings: LoopSettings): Promise<boolean> {
  try {
    await delivery.transact!(async (send) => {
      ctx.transactionalSend = send;
      await runChain(ctx, settings);
      ctx.transactionalSend = undefined;
      const kind = ctx.outcome?.kind;
      if (kind === 'retry' || kind === 'dead-letter') throw ABORT;
    });
  } catch (error) {
    if (error === ABORT) return false;
    // The chain succeeded and the commit failed (a rebalance took the partition, the producer was
    // fenced). With nothing published in the transaction, the handler's effects all happened
    // outside Kafka and stand: record them as the plain path does before an ack that may fail
    // (the idempotency store's completion), so the redelivery is a duplicate, not a second effect.
    // With outputs, those were aborted: the message must run again.
    if (ctx.commits && !ctx.publishedInTransaction) await runCommits(ctx, settings);
    ctx.outcome = { kind: 'retry', delayMs: 0, error };
    return false;
  }
  // Committed: what onCommit registered runs now; a failure there cannot undo the commit.
  await runCommits(ctx, settings);
  notifySuccess(ctx, settings.hooks);
  return true;
}

async function runCommits(ctx: DeliveryContext, settings: LoopSettings): Promise<void> {
  try {
    for (const commit of ctx.commits ?? []) await commit();
  } catch (error) {
    report(settings.hooks, error, ctx);
  }
}
