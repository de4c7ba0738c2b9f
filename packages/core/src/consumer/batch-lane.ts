import type { Codec } from '../codec.ts';
import type { MessageDefinition, PayloadOut } from '../message.ts';
import { HandlerTimeoutError } from '../middleware/timeout.ts';
import { Fifo } from '../spi/fifo.ts';
import { callBatchHandler, failuresOf, type BatchHandler, type BatchItem, type BatchOptions, type BatchResult } from './batch-collector.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import type { PendingAcks } from './pending-acks.ts';
import { DeliveryContext } from './message-context.ts';
import { ackFailed, type LoopSettings } from './process-delivery.ts';
import { NOT_READ, readPayload } from './read-payload.ts';
import { notifySuccess, report } from './report.ts';
import type { RunningContexts } from './running-contexts.ts';

/** What the lane needs from its consumer. */
export interface BatchLaneHost {
  readonly settings: () => LoopSettings;
  readonly running: RunningContexts;
  /** Past the close deadline: deliveries not started are left for release. */
  readonly abandoned: () => boolean;
  /**
   * Hands a delivery to the per-message path: one the lane could not decode or validate (that
   * path dead-letters it), or one whose batch failed (`error`: its first attempt's failure,
   * which the per-message path's retry and dead-letter steps then take from).
   */
  readonly handOver: (delivery: GatedDelivery, error?: { readonly error: unknown }) => void;
  /** Where a batch's acks may complete after its slot is free (see PendingAcks). */
  readonly acks: PendingAcks;
}

/**
 * The fast path of a batch handler, taken when nothing runs per message around it (no
 * middleware of the user's or a plugin's, no idempotency step, no delivery limit, at-least-once):
 * deliveries of its type go straight into batches, each decoded and validated in a loop, one
 * handler call, and the successes acked together, with no middleware chain, scheduler entry or
 * promise per message. A message the lane cannot decode, or that the batch failed, goes to the
 * per-message path, which retries and dead-letters it exactly as it would any other (the lane
 * counts the batch's failure as its first attempt), so the guarantees are those of `handle`.
 *
 * Only deliveries with no ordering key come here: keyed ones keep the scheduler's per-key order.
 */
export class BatchLane {
  readonly maxSize: number;
  private readonly maxWaitMs: number;
  private readonly handlerTimeoutMs: number;
  /** Batches that may run at once: the consumer's concurrency in whole batches. */
  private readonly parallel: number;
  private readonly queue = new Fifo<GatedDelivery>();
  private running = 0;
  private inBatches = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The oldest waiting delivery has waited maxWaitMs: the next free slot takes a partial batch. */
  private due = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly definition: MessageDefinition,
    private readonly handler: BatchHandler<MessageDefinition>,
    options: Required<BatchOptions> & { readonly concurrency: number; readonly handlerTimeoutMs: number },
    private readonly codec: Codec,
    private readonly host: BatchLaneHost,
  ) {
    this.maxSize = options.maxSize;
    this.maxWaitMs = options.maxWaitMs;
    this.handlerTimeoutMs = options.handlerTimeoutMs;
    this.parallel = Math.max(1, Math.floor(options.concurrency / options.maxSize));
  }

  /** Deliveries waiting or in a running batch. */
  get size(): number {
    return this.queue.length + this.inBatches;
  }

  add(delivery: GatedDelivery): void {
    this.queue.push(delivery);
    this.pump();
  }

  /** Past the close deadline: what waits for a batch is dropped here (closing the subscription releases it). */
  abandon(): void {
    this.queue.retain(() => false);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.parallel && (this.queue.length >= this.maxSize || (this.due && this.queue.length > 0))) {
      this.due = false;
      const batch: GatedDelivery[] = [];
      while (batch.length < this.maxSize && this.queue.length > 0) batch.push(this.queue.shift()!);
      this.running++;
      this.inBatches += batch.length;
      void this.run(batch)
        .catch((error: unknown) => report(this.host.settings().hooks, error))
        .finally(() => {
          this.running--;
          this.inBatches -= batch.length;
          this.pump();
          this.wakeIdle();
        });
    }
    if (this.queue.length > 0 && this.timer === undefined && !this.due) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.pump();
      }, this.maxWaitMs);
    } else if (this.queue.length === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private async run(batch: readonly GatedDelivery[]): Promise<void> {
    const host = this.host;
    // Past the close deadline: released with the subscription, delivered again later.
    if (host.abandoned()) return;
    const settings = host.settings();
    const items: BatchItem[] = [];
    for (const delivery of batch) {
      const payload = readPayload(delivery, this.definition, this.codec);
      if (payload === NOT_READ) {
        host.handOver(delivery);
        continue;
      }
      const ctx = new DeliveryContext(delivery, settings.group, settings.transport, settings.publisher);
      ctx.definition = this.definition;
      ctx.payload = payload;
      host.running.add(ctx);
      items.push({ payload: payload as PayloadOut<MessageDefinition>, ctx });
    }
    if (items.length === 0) return;
    let failed: ReadonlyMap<BatchItem, unknown>;
    try {
      failed = failuresOf(await this.call(items));
    } catch (error) {
      failed = new Map(items.map((item) => [item, error]));
    }
    const acks: Array<Promise<void>> = [];
    const acked: DeliveryContext[] = [];
    for (const item of items) {
      const ctx = item.ctx as DeliveryContext;
      if (failed.has(item)) {
        host.running.remove(ctx);
        host.handOver(ctx.delivery, { error: failed.get(item) });
      } else {
        acks.push(ctx.delivery.ack());
        acked.push(ctx);
      }
    }
    // The next batch need not wait for these acks (only deliveries with no order to keep come here).
    const settling = this.settleAcks(acks, acked, settings).catch((error: unknown) => report(settings.hooks, error));
    const wait = host.acks.offer(settling, acked.length);
    if (wait) await wait;
  }

  /** The handler's call, failed with HandlerTimeoutError (and its messages' signals aborted) past handlerTimeoutMs. */
  private call(items: BatchItem[]): Promise<BatchResult | void> {
    const ms = this.handlerTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        for (const item of items) (item.ctx as DeliveryContext).abort();
        reject(new HandlerTimeoutError(ms));
      }, ms);
    });
    return Promise.race([callBatchHandler(this.handler, items), timedOut]).finally(() => clearTimeout(timer));
  }

  /** Awaits the acks together; one that failed is tried again on its own, as the per-message path does. */
  private async settleAcks(acks: Array<Promise<void>>, acked: DeliveryContext[], settings: LoopSettings): Promise<void> {
    const host = this.host;
    try {
      await Promise.all(acks);
    } catch {
      const results = await Promise.allSettled(acks);
      await Promise.all(
        results.map(async (result, i) => {
          if (result.status === 'fulfilled') return;
          await ackFailed(acked[i]!, result.reason, settings, host.running);
        }),
      );
    }
    for (const ctx of acked) {
      host.running.remove(ctx);
      notifySuccess(ctx, settings.hooks);
    }
  }
}
