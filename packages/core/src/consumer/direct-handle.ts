import type { Codec } from '../codec.ts';
import type { MessageDefinition } from '../message.ts';
import type { HandlerFn } from '../middleware/types.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import { DeliveryContext } from './message-context.ts';
import { ackFailed, type LoopSettings } from './process-delivery.ts';
import type { PendingAcks } from './pending-acks.ts';
import { NOT_READ, readPayload } from './read-payload.ts';
import { notifySuccess, report } from './report.ts';
import type { RunningContexts } from './running-contexts.ts';
import { settle } from './settle.ts';

/** What direct handling needs from its consumer. */
export interface DirectHost {
  readonly settings: LoopSettings;
  readonly running: RunningContexts;
  readonly codec: Codec;
  /**
   * Runs a delivery on the per-message chain: one this path could not decode or validate, or one
   * whose handler failed (`failure`: that first attempt's error, which the chain's retry and
   * dead-letter steps take from).
   */
  readonly chain: (delivery: GatedDelivery, failure?: { readonly error: unknown }) => Promise<void>;
  /** Where an ack may complete after the handler's slot is free (see PendingAcks). */
  readonly acks: PendingAcks;
  /**
   * Whether the next message may start before this one's ack completes: not with a key under key
   * order, where a failed ack (the message delivered again later) would put it after its successor.
   */
  readonly mayOvertake: (delivery: GatedDelivery) => boolean;
}

/**
 * The fast path of a `handle`d message when nothing runs per message around the handler (the
 * batch lane's conditions: at-least-once, no middleware, no idempotency step, no delivery limit):
 * decoded and validated in line, the handler called under `handlerTimeoutMs` (`timed`), then
 * acked, with none of the chain's frames. A message it cannot read, or whose handler failed,
 * runs the chain, which dead-letters or retries it as it would any other (the failure counts as
 * its first attempt), so the outcomes are the chain's.
 */
export async function handleDirect(delivery: GatedDelivery, definition: MessageDefinition, timed: HandlerFn, host: DirectHost): Promise<void> {
  const payload = readPayload(delivery, definition, host.codec);
  if (payload === NOT_READ) return host.chain(delivery);
  const { settings, running } = host;
  const ctx = new DeliveryContext(delivery, settings.group, settings.transport, settings.publisher);
  ctx.definition = definition;
  ctx.payload = payload;
  running.add(ctx);
  try {
    await timed(ctx);
  } catch (error) {
    running.remove(ctx);
    return host.chain(delivery, { error });
  }
  // The handler registered something to run at commit, or settled the message itself.
  if (ctx.outcome !== undefined || ctx.commits !== undefined) {
    try {
      await settle(ctx, settings, running);
    } catch (error) {
      report(settings.hooks, error, ctx);
    } finally {
      running.remove(ctx);
    }
    return;
  }
  const acking = acknowledge(ctx, settings, running);
  const wait = host.mayOvertake(delivery) ? host.acks.offer(acking) : acking;
  if (wait) await wait;
}

/** Acks a handled message (an ack that fails is tried again, as on the chain); never rejects. */
async function acknowledge(ctx: DeliveryContext, settings: LoopSettings, running: RunningContexts): Promise<void> {
  try {
    try {
      await ctx.delivery.ack();
    } catch (error) {
      await ackFailed(ctx, error, settings, running);
    }
    notifySuccess(ctx, settings.hooks);
  } catch (error) {
    report(settings.hooks, error, ctx);
  } finally {
    running.remove(ctx);
  }
}
