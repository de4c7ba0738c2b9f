import { Fifo } from '../spi/fifo.ts';

/**
 * Runs items with at most `concurrency` at once, and items that share a key one after another in
 * the order they were scheduled. Items without a key only wait for a free slot.
 *
 * A consumer hands it every delivery, and under load most wait (prefetch is larger than
 * concurrency): waiting items sit in queues and start when a slot frees, with no promise chain,
 * closure or key lookup per waiting item (a promise chain per waiting delivery was a measurable
 * share of a fast Kafka consumer's CPU).
 */
export class KeyedScheduler<T> {
  private running = 0;
  private pending = 0;
  /** Items ready to start, waiting for a slot, with their keys (undefined: none). */
  private readonly ready = new Fifo<T>();
  private readonly readyKeys = new Fifo<string | undefined>();
  /** Keys with an item running or ready, and the items of that key waiting behind it. */
  private readonly keys = new Map<string, Fifo<T>>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    /** Runs one item. */
    private readonly run: (item: T) => Promise<void>,
    /** Where an item's rejection goes (the consumer's items settle their own errors). */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Number of items scheduled and not yet finished (running or waiting). */
  get size(): number {
    return this.pending;
  }

  get active(): number {
    return this.running;
  }

  schedule(key: string | undefined, item: T): void {
    this.pending++;
    if (key !== undefined) {
      const behind = this.keys.get(key);
      if (behind) {
        behind.push(item);
        return;
      }
      this.keys.set(key, new Fifo<T>());
    }
    this.enqueue(key, item);
  }

  /** Resolves when no item is scheduled. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(key: string | undefined, item: T): void {
    if (this.running < this.concurrency) {
      this.running++;
      void this.start(key, item);
    } else {
      this.ready.push(item);
      this.readyKeys.push(key);
    }
  }

  private async start(key: string | undefined, item: T): Promise<void> {
    try {
      await this.run(item);
    } catch (error) {
      this.onError(error);
    }
    this.running--;
    this.pending--;
    if (key !== undefined) {
      const behind = this.keys.get(key)!;
      const next = behind.shift();
      if (next === undefined) this.keys.delete(key);
      else {
        // Behind the items already waiting for a slot, as if scheduled now.
        this.ready.push(next);
        this.readyKeys.push(key);
      }
    }
    while (this.running < this.concurrency && this.ready.length > 0) {
      this.running++;
      void this.start(this.readyKeys.shift(), this.ready.shift()!);
    }
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
