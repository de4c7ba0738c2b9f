/**
 * Acks a fast path does not wait for. Where an ack is a request (SQS deletes receipts in
 * batches), waiting for it kept the handler's slot for a round trip, so each slot's next message
 * waited for the last one's delete. A fast path hands its ack here and frees the slot. At most
 * `limit` are pending: past that it waits for its ack as before, so acks slower than handlers
 * slow handling down instead of piling up. The consumer's close waits for them.
 */
export class PendingAcks {
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Messages whose acks are pending. */
  get size(): number {
    return this.count;
  }

  /**
   * Keeps `acking` (which never rejects; `messages`: how many it acks) if there is room, returning
   * undefined; else returns it for the caller to wait for.
   */
  offer(acking: Promise<void>, messages = 1): Promise<void> | undefined {
    if (this.count > 0 && this.count + messages > this.limit) return acking;
    this.count += messages;
    // `acking` never rejects: one callback.
    void acking.then(() => this.done(messages));
    return undefined;
  }

  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private done(messages: number): void {
    this.count -= messages;
    if (this.count > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
