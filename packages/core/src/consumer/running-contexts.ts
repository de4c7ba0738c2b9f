import type { DeliveryContext } from './message-context.ts';

/**
 * The deliveries a consumer is handling now, so that close can abort them past its deadline.
 * An array with swap-remove (each context knows its slot) rather than a Set: two hash-table
 * updates per message were a measurable share of a fast consumer's CPU.
 */
export class RunningContexts {
  private readonly items: DeliveryContext[] = [];
  /** Set when the consumer gave up its deliveries (close past its deadline): settle calls stop retrying. */
  released = false;

  add(ctx: DeliveryContext): void {
    ctx.slot = this.items.length;
    this.items.push(ctx);
  }

  remove(ctx: DeliveryContext): void {
    const slot = ctx.slot;
    if (slot < 0 || this.items[slot] !== ctx) return;
    const last = this.items.pop()!;
    if (last !== ctx) {
      this.items[slot] = last;
      last.slot = slot;
    }
    ctx.slot = -1;
  }

  get size(): number {
    return this.items.length;
  }

  /** Past the close deadline: every running attempt is aborted and its delivery given up. */
  releaseAll(): void {
    this.released = true;
    this.abortAll();
  }

  abortAll(): void {
    for (const ctx of [...this.items]) ctx.abort();
  }
}
