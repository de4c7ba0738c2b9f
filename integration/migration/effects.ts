/**
 * The application at the destination of a migration test: an exactly-once consumer with a shared
 * idempotency store whose effect is counting, per message id. Every delivery is counted too
 * (before the idempotency step), so copies the bridge or a mirror sent again show as duplicated
 * deliveries, and only a store that failed would show as a duplicate effect.
 */
import { defineMessage, type Client, type Consumer, type IdempotencyStore, type Middleware } from '@ferry/core';
import { z } from 'zod';

export const itemSchema = z.object({ n: z.number().int() });
export const itemMessage = (topic: string) => defineMessage('migration.item', itemSchema, { topic });

export class Effects {
  readonly deliveries = new Map<string, number>();
  /** Deliveries the destination broker itself made again (attempt > 1), as opposed to copies sent again. */
  redeliveredByDestination = 0;
  readonly effects = new Map<string, number>();
  /** Per key, the n of each message in the order its effect happened (first effects only). */
  readonly orderByKey = new Map<string, number[]>();

  async consume(client: Client, options: { topic: string; group: string; store: IdempotencyStore; concurrency?: number; orderedByKey?: boolean; label?: string }): Promise<Consumer> {
    const countDelivery: Middleware = (next) => (ctx) => {
      this.deliveries.set(ctx.envelope.id, (this.deliveries.get(ctx.envelope.id) ?? 0) + 1);
      if (ctx.attempt > 1) this.redeliveredByDestination++;
      return next(ctx);
    };
    const consumer = client
      .consumer({
        group: options.group,
        delivery: 'exactly-once',
        concurrency: options.concurrency ?? 32,
        idempotency: { store: options.store, leaseMs: 5_000 },
        retry: { attempts: 100, initialDelayMs: 50, maxDelayMs: 500 },
        middleware: [{ name: 'count-deliveries', middleware: countDelivery, before: 'idempotency' }],
        ...(options.orderedByKey === undefined ? {} : { orderedByKey: options.orderedByKey }),
      })
      .handle(itemMessage(options.topic), (item, ctx) => {
        const id = ctx.envelope.id;
        const before = this.effects.get(id) ?? 0;
        this.effects.set(id, before + 1);
        if (before === 0 && ctx.envelope.key !== undefined) {
          const list = this.orderByKey.get(ctx.envelope.key) ?? [];
          list.push(item.n);
          this.orderByKey.set(ctx.envelope.key, list);
        }
      });
    await consumer.start();
    return consumer;
  }

  /** Counted by id against what was published. */
  tally(ids: readonly string[]): { lost: number; duplicatedDeliveries: number; duplicatedIds: number; duplicateEffects: number; orderViolations: number; firstViolation: string | undefined } {
    let lost = 0;
    let duplicatedDeliveries = 0;
    let duplicatedIds = 0;
    let duplicateEffects = 0;
    for (const id of ids) {
      const effects = this.effects.get(id) ?? 0;
      if (effects === 0) lost++;
      duplicateEffects += Math.max(0, effects - 1);
      const deliveries = this.deliveries.get(id) ?? 0;
      if (deliveries > 1) {
        duplicatedIds++;
        duplicatedDeliveries += deliveries - 1;
      }
    }
    let orderViolations = 0;
    let firstViolation: string | undefined;
    for (const [key, ns] of this.orderByKey) {
      for (let i = 1; i < ns.length; i++) {
        if (ns[i]! >= ns[i - 1]!) continue;
        orderViolations++;
        firstViolation ??= `key ${key}: ... ${ns.slice(Math.max(0, i - 3), i + 3).join(', ')} ...`;
      }
    }
    return { lost, duplicatedDeliveries, duplicatedIds, duplicateEffects, orderViolations, firstViolation };
  }
}
