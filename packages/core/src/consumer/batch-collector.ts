import { ConfigError } from '../errors.ts';
import type { MessageDefinition, PayloadOut } from '../message.ts';
import type { MessageContext } from '../middleware/types.ts';

/** One message of a batch: its validated payload and its own context (envelope, attempt, publish). */
export interface BatchItem<M extends MessageDefinition = MessageDefinition> {
  readonly payload: PayloadOut<M>;
  readonly ctx: MessageContext;
}

/**
 * What a batch handler may return: the items that failed, each with its error. Only those are
 * retried or dead-lettered (a NonRetryableError dead-letters at once); the others are acked. A
 * handler that throws fails every item of the batch.
 */
export interface BatchResult<M extends MessageDefinition = MessageDefinition> {
  readonly failed: ReadonlyArray<{ readonly item: BatchItem<M>; readonly error: unknown }>;
}

export type BatchHandler<M extends MessageDefinition> = (items: BatchItem<M>[]) => Promise<BatchResult<M> | void> | BatchResult<M> | void;

export interface BatchOptions {
  /** Most messages in one call. Default 100. The consumer's `concurrency` must be at least this. */
  readonly maxSize?: number;
  /** Longest a message waits for its batch to fill before the batch is handled anyway. Default 50 ms. */
  readonly maxWaitMs?: number;
}

interface Pending {
  readonly item: BatchItem;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers messages of one type into batches for a batch handler. Each message still runs its own
 * chain (decode, schema, idempotency, retry, dead letter, ack): the chain's `handler` step hands
 * the message here and waits for its batch's outcome, so every per-message guarantee holds and
 * only the handler call is shared.
 */
export class BatchCollector {
  readonly maxSize: number;
  readonly maxWaitMs: number;
  private items: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly handler: BatchHandler<MessageDefinition>,
    options: BatchOptions,
    type: string,
  ) {
    this.maxSize = options.maxSize ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 50;
    if (!Number.isInteger(this.maxSize) || this.maxSize < 1 || this.maxSize > 10_000) {
      throw new ConfigError(`handleBatch(${type}).maxSize`, `must be a whole number from 1 to 10,000, got ${String(options.maxSize)}`, 'Use e.g. 100.');
    }
    if (!(this.maxWaitMs >= 0) || this.maxWaitMs > 60_000) {
      throw new ConfigError(`handleBatch(${type}).maxWaitMs`, `must be from 0 to 60,000 ms, got ${String(options.maxWaitMs)}`, 'Use e.g. 50.');
    }
  }

  /** Adds a message to the batch being filled; resolves or rejects with that message's outcome. */
  add(ctx: MessageContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.items.push({ item: { payload: ctx.payload as PayloadOut<MessageDefinition>, ctx }, resolve, reject });
      if (this.items.length >= this.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.items;
    this.items = [];
    if (batch.length === 0) return;
    callBatchHandler(this.handler, batch.map((p) => p.item)).then(
      (outcome) => {
        const failures = failuresOf(outcome);
        for (const p of batch) {
          if (failures.has(p.item)) p.reject(failures.get(p.item));
          else p.resolve();
        }
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}

/** Calls a batch handler; a synchronous throw becomes a rejection. */
export function callBatchHandler(handler: BatchHandler<MessageDefinition>, items: BatchItem[]): Promise<BatchResult | void> {
  try {
    return Promise.resolve(handler(items));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The items a batch handler's result marks failed, each with its error (one it left out made up). */
export function failuresOf(outcome: BatchResult | void): Map<BatchItem, unknown> {
  const failures = new Map<BatchItem, unknown>();
  for (const f of outcome?.failed ?? []) failures.set(f.item, f.error ?? new Error('marked failed by the batch handler'));
  return failures;
}
