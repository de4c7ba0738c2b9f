import { MessageTooLargeError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import { deadLetterMessage, fitDeadLetter } from './dead-letter-message.ts';
import type { ConsumerHooks } from './hooks.ts';
import type { DeliveryContext } from './message-context.ts';
import { notifySuccess, report, safe } from './report.ts';
import type { RunningContexts } from './running-contexts.ts';

export interface SettleSettings {
  readonly transport: Transport;
  readonly group: string;
  readonly mode: 'at-most-once' | 'at-least-once' | 'exactly-once';
  readonly deadLetter: { readonly topicFor: (topic: string) => string; readonly includeStack: boolean } | false;
  readonly hooks: ConsumerHooks;
  /** Redelivery delay when a success could not be recorded (a commit step failed) or a dead letter could not be written. */
  readonly settleRetryDelayMs: number;
}

/** Tries of a dead-letter send before the message is sent back for a later attempt instead. */
const DEAD_LETTER_TRIES = 3;

/**
 * Settles a delivery by its outcome. Nothing is left unsettled:
 * - ack and nack that fail are tried again with backoff until they succeed or the consumer is
 *   closed (the transport then releases the delivery for redelivery);
 * - a dead letter too large for the transport shrinks to fit (reason and stack cut, then the
 *   payload left out with its digest); one the broker keeps refusing goes back for a later attempt;
 * - a commit step that fails (an idempotency store that cannot record completion) sends the
 *   message back for a later attempt instead of acking it.
 */
export async function settle(ctx: DeliveryContext, settings: SettleSettings, running: RunningContexts): Promise<void> {
  const { delivery, hooks } = { delivery: ctx.delivery, hooks: settings.hooks };
  const acked = settings.mode === 'at-most-once';
  const outcome = ctx.outcome;
  if (outcome?.kind === 'retry' && !acked) {
    await persist(() => delivery.nack(outcome.delayMs), ctx, settings, running);
    safe(hooks, () => hooks.onRetry?.(ctx, outcome.error, outcome.delayMs), ctx);
    return;
  }
  if (outcome?.kind === 'dead-letter' || (outcome?.kind === 'retry' && acked)) {
    const error = outcome.error;
    if (!settings.deadLetter) {
      report(hooks, error, ctx);
      if (!acked) await persist(() => delivery.ack(), ctx, settings, running);
      return;
    }
    const written = await writeDeadLetter(ctx, settings, error, !acked);
    if (written === 'failed') {
      if (!acked) await persist(() => delivery.nack(settings.settleRetryDelayMs), ctx, settings, running);
      return;
    }
    safe(hooks, () => hooks.onDeadLetter?.(ctx, error, written.topic), ctx);
    // Settled already by the transaction that wrote the dead letter with the consumed position.
    if (!acked && !written.settled) await persist(() => delivery.ack(), ctx, settings, running);
    return;
  }
  if (ctx.commits) {
    try {
      for (const commit of ctx.commits) await commit();
    } catch (error) {
      report(hooks, error, ctx);
      if (!acked) await persist(() => delivery.nack(settings.settleRetryDelayMs), ctx, settings, running);
      return;
    }
  }
  if (!acked) await persist(() => delivery.ack(), ctx, settings, running);
  notifySuccess(ctx, hooks);
}

/**
 * Runs a settle call until it succeeds, with backoff (100 ms doubling to 5 s), reporting each
 * failure; true once it succeeded. A transport whose nack cannot arrange the redelivery rejects,
 * and this is where it is tried again. Gives up only when the consumer has released its
 * deliveries (closed): closing its subscription hands the message back to the broker then.
 */
export async function persist(op: () => Promise<void>, ctx: DeliveryContext, settings: SettleSettings, running: RunningContexts): Promise<boolean> {
  for (let wait = 100; ; wait = Math.min(5000, wait * 2)) {
    try {
      await op();
      return true;
    } catch (error) {
      ctx.delivery.settleFailed();
      report(settings.hooks, error, ctx);
      if (running.released) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (running.released) return false;
    }
  }
}

type Written = { readonly topic: string; readonly settled: boolean } | 'failed';

/**
 * Sends the dead-letter copy, shrunk to fit the transport's limit (and further if the transport
 * still refuses its size). Under exactly-once on a transport with transactions, the copy and the
 * consumed position commit together (a crash between a plain send and the ack would write it
 * twice): `settled` says the transaction settled the delivery.
 */
async function writeDeadLetter(ctx: DeliveryContext, settings: SettleSettings, error: unknown, mayTransact: boolean): Promise<Written> {
  const { delivery, hooks } = { delivery: ctx.delivery, hooks: settings.hooks };
  const topic = (settings.deadLetter as { topicFor: (topic: string) => string }).topicFor(delivery.envelope.topic);
  const full = deadLetterMessage(delivery, error, { deadLetterTopic: topic, group: settings.group, includeStack: (settings.deadLetter as { includeStack: boolean }).includeStack });
  let copy = fitDeadLetter(full, settings.transport.capabilities.maxMessageBytes);
  if (mayTransact && settings.mode === 'exactly-once' && (await deadLetterInTransaction(delivery, copy))) return { topic, settled: true };
  for (let tries = 1; ; tries++) {
    try {
      await settings.transport.send([copy]);
      return { topic, settled: false };
    } catch (sendError) {
      report(hooks, sendError, ctx);
      // The transport counts bytes its own way (attributes, framing): the smallest copy still says why and where from.
      if (sendError instanceof MessageTooLargeError && copy.payload.byteLength > 0) {
        copy = fitDeadLetter(copy, 0);
        continue;
      }
      if (tries >= DEAD_LETTER_TRIES) return 'failed';
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** tries));
    }
  }
}

async function deadLetterInTransaction(delivery: GatedDelivery, copy: OutgoingMessage): Promise<boolean> {
  if (!delivery.transact) return false;
  try {
    await delivery.transact((send) => send([copy]));
    return true;
  } catch {
    return false;
  }
}
