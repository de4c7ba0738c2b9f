import { randomUUID } from 'node:crypto';
import { NonRetryableError } from '../errors.ts';
import type { IdempotencyStore } from '../idempotency/store.ts';
import { claimOrWait, Heartbeat, KeyInProgressError } from './idempotency.ts';
import type { MessageContext, Middleware } from './types.ts';

export interface DeliveryLimitOptions {
  /** Deliveries a message may have; the next one is dead-lettered without running the handler. */
  readonly maxDeliveries: number;
  /**
   * Counts deliveries that never finished (their process died) where the broker does not: a lease
   * per delivery under `<group>:<message id>:deliveries`, kept alive while the handler runs and
   * given up when it ends, so only deliveries whose holder vanished add up. Shared by every
   * process of the group (@ferry/redis, @ferry/postgres) to count crashes.
   */
  readonly store?: IdempotencyStore;
  /** How long a vanished holder's lease keeps a redelivery waiting. */
  readonly leaseMs: number;
}

/**
 * Dead-letters a message delivered more than `maxDeliveries` times, before its handler runs: a
 * poison message that kills its process (process.exit, OOM, SIGKILL) is redelivered without a
 * failure ever being seen, so the retry policy never stops it. The broker's count is used where it
 * keeps one (`ctx.attempt`: SQS ApproximateReceiveCount, RabbitMQ quorum x-delivery-count, retry
 * copies); the store counts the deliveries whose process died where it does not (Kafka, memory,
 * RabbitMQ classic queues).
 */
export function deliveryLimit(options: DeliveryLimitOptions): Middleware {
  const { maxDeliveries, store, leaseMs } = options;
  const heartbeat = store ? new Heartbeat(store, leaseMs) : undefined;
  const lease = { leaseMs, ttlMs: Math.max(leaseMs * 4, 24 * 60 * 60 * 1000) };
  return (next) => async (ctx) => {
    if (ctx.attempt > maxDeliveries) throw limitReached(ctx, ctx.attempt - 1, maxDeliveries, 'the broker counted');
    if (!store || !heartbeat || !ctx.envelope.id) return next(ctx);
    const key = `${ctx.group}:${ctx.envelope.id}:deliveries`;
    const token = randomUUID();
    const claim = await claimOrWait(store, key, token, lease, ctx, 20);
    if (claim.state === 'in-progress') throw new KeyInProgressError(key);
    if (claim.state === 'completed') return next(ctx); // never completed by this step: someone else's key
    if (claim.state === 'claimed' && claim.claims > maxDeliveries) {
      await store.release(key, token);
      throw limitReached(ctx, claim.claims - 1, maxDeliveries, 'deliveries that never finished (their process died or was killed while handling it), counted in the store');
    }
    const hold = heartbeat.hold(key, token, ctx);
    try {
      return await next(ctx);
    } finally {
      heartbeat.drop(hold);
      // Finished, well or not: the count starts again (failures are the retry policy's to count).
      await store.release(key, token).catch(() => undefined);
    }
  };
}

function limitReached(ctx: MessageContext, deliveries: number, max: number, how: string): NonRetryableError {
  return new NonRetryableError(
    `Message ${ctx.envelope.id} was delivered ${deliveries} times (${how}), reaching consumer.maxDeliveries (${max}): dead-lettered without running its handler again. ` +
      'Find why its handler never finishes (a crash, exit or kill of the process), then redrive it.',
    { kind: 'crash-loop', code: 'FERRY_MAX_DELIVERIES' },
  );
}
