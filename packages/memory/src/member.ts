import type { Delivery, Subscription, SubscriptionSpec } from '@ferry/core/spi';
import { MemoryDelivery, type DeliveryOwner } from './delivery.ts';
import type { Entry } from './entry.ts';
import type { Group } from './group.ts';

/**
 * One subscription: a member of its group. Holds its unsettled deliveries so it can bound them
 * (`spec.maxInFlight`) and give them back to the group when it closes.
 */
export class Member implements Subscription, DeliveryOwner {
  private readonly unsettled = new Set<MemoryDelivery>();
  private stopped = false;
  private closed = false;

  constructor(
    private readonly group: Group,
    readonly spec: SubscriptionSpec,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {}

  get hasCapacity(): boolean {
    return !this.stopped && this.unsettled.size < this.spec.maxInFlight;
  }

  get unsettledCount(): number {
    return this.unsettled.size;
  }

  /** Offsets this member holds right now (a replay does not enqueue them twice). */
  unsettledOffsets(): number[] {
    return [...this.unsettled].map((d) => d.entry.record.offset);
  }

  /** Called by the group's dispatch only when `hasCapacity`. */
  deliver(entry: Entry): void {
    const delivery = new MemoryDelivery(entry, this.group.name, this);
    this.unsettled.add(delivery);
    try {
      this.onDelivery(delivery);
    } catch (error) {
      // The callback is core's; a throw is a bug there. Keep dispatching the others; the delivery
      // stays unsettled until settled or released by close().
      process.emitWarning(`ferry memory: onDelivery threw: ${String(error)}`);
    }
  }

  settle(delivery: MemoryDelivery, outcome: { readonly redeliverAfterMs: number } | 'ack'): void {
    if (!this.unsettled.delete(delivery)) return;
    delivery.live = false;
    if (outcome === 'ack') this.group.acked(delivery.entry);
    else this.group.redeliver(delivery.entry, outcome.redeliverAfterMs);
  }

  async stop(): Promise<void> {
    // Dispatch checks `hasCapacity` synchronously before each hand-over, so nothing follows this.
    this.stopped = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = this.stopped = true;
    const held = [...this.unsettled];
    this.unsettled.clear();
    for (const delivery of held) delivery.live = false;
    // Back to the group with attempt + 1, due now, so another member (or a later one) gets them.
    this.group.leave(this, held.map((d) => d.entry));
  }
}
