import { Fifo } from './fifo.ts';

/**
 * Coalesces concurrent single sends into broker batches. Clients without a linger of their own
 * (kafkajs, the SQS SDK) turn one `publish()` per message into one request per message; this
 * gathers what arrives within `lingerMs` (or until a batch is full) into one request, and keeps
 * up to `maxConcurrentFlushes` requests in flight.
 */
export interface BatcherOptions<T> {
  /** Most items in one flush (SQS: 10). */
  readonly maxItems: number;
  /** Most bytes in one flush, by `sizeOf` (SQS: 1 MiB). */
  readonly maxBytes: number;
  /** How long the first item of a batch waits for company. 0: flush on the next tick. */
  readonly lingerMs: number;
  readonly maxConcurrentFlushes: number;
  readonly sizeOf: (item: T) => number;
  /**
   * Sends one batch. Return per-item errors (undefined = accepted) to fail items separately,
   * or throw to fail the whole batch.
   */
  readonly flush: (items: T[]) => Promise<ReadonlyArray<Error | undefined> | void>;
}

interface Pending<T> {
  item: T;
  size: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Batcher<T> {
  private readonly queue = new Fifo<Pending<T>>();
  private queuedBytes = 0;
  /** The linger of the batch being gathered: a timeout, or with lingerMs 0 an immediate. */
  private timer: { cancel: () => void } | undefined;
  private flushing = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: BatcherOptions<T>) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const size = this.options.sizeOf(item);
      this.queue.push({ item, size, resolve, reject });
      this.queuedBytes += size;
      if (this.queue.length >= this.options.maxItems || this.queuedBytes >= this.options.maxBytes) {
        this.pump();
      } else if (!this.timer) {
        this.timer = this.linger();
      }
    });
  }

  /** Resolves when nothing is queued or being sent. */
  async drain(): Promise<void> {
    this.pump(true);
    if (this.queue.length === 0 && this.flushing === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(force = false): void {
    while (this.queue.length > 0 && this.flushing < this.options.maxConcurrentFlushes) {
      const full = this.queue.length >= this.options.maxItems || this.queuedBytes >= this.options.maxBytes;
      if (!full && this.timer && !force) return; // linger still running for a partial batch
      if (this.timer) {
        this.timer.cancel();
        this.timer = undefined;
      }
      this.flushOne(this.takeBatch());
    }
  }

  /**
   * Flushes the gathered batch after lingerMs. With 0, right after the current callbacks and their
   * promise continuations have run (setImmediate): setTimeout(0) would wait a whole millisecond,
   * which a publisher waiting on each batch pays every round.
   */
  private linger(): { cancel: () => void } {
    const fire = () => {
      this.timer = undefined;
      this.pump();
    };
    if (this.options.lingerMs === 0) {
      const immediate = setImmediate(fire);
      return { cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(fire, this.options.lingerMs);
    return { cancel: () => clearTimeout(timeout) };
  }

  private takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.options.maxItems) {
      const next = this.queue.peek()!;
      if (batch.length > 0 && bytes + next.size > this.options.maxBytes) break;
      this.queue.shift();
      bytes += next.size;
      batch.push(next);
    }
    this.queuedBytes -= bytes;
    return batch;
  }

  private flushOne(batch: Pending<T>[]): void {
    this.flushing++;
    this.options
      .flush(batch.map((p) => p.item))
      .then(
        (errors) => batch.forEach((p, i) => (errors?.[i] ? p.reject(errors[i]!) : p.resolve())),
        (error: unknown) => {
          const err = error instanceof Error ? error : new Error(String(error));
          batch.forEach((p) => p.reject(err));
        },
      )
      .finally(() => {
        this.flushing--;
        // Items whose linger ended while every flush slot was busy go out now. A batch still
        // lingering keeps gathering: flushing it here sent a partial batch (one more request)
        // each time a flush finished, which concurrent acks and publishes make all the time.
        if (this.queue.length > 0) this.pump(this.timer === undefined);
        if (this.queue.length === 0 && this.flushing === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
  }
}
