import type { DeliveryContext } from './message-context.ts';
import { SlotList } from './slot-list.ts';

/** The deliveries a consumer is handling now, so that close can abort them past its deadline. */
export class RunningContexts {
  private readonly items = new SlotList<DeliveryContext>();
  /** Set when the consumer gave up its deliveries (close past its deadline): settle calls stop retrying. */
  released = false;

  add(ctx: DeliveryContext): void {
    this.items.add(ctx);
  }

  remove(ctx: DeliveryContext): void {
    this.items.remove(ctx);
  }

  get size(): number {
    return this.items.size;
  }

  /** Past the close deadline: every running attempt is aborted and its delivery given up. */
  releaseAll(): void {
    this.released = true;
    this.abortAll();
  }

  abortAll(): void {
    for (const ctx of this.items.snapshot()) ctx.abort();
  }
}
