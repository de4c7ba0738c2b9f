import { SlotList, type DeliverySink, type Subscription, type SubscriptionSpec } from '@ferry/core/spi';
import { MemoryDelivery } from './delivery.ts';
import type { Entry } from './entry.ts';
import type { Group } from './group.ts';

/**
 * One subscription: a member of its group, handed records while core has room. Like a broker
 * connection it knows what it holds unacked: a replay skips those, and what is still held when it
 * closes (core released the rest already) goes back to the group, as a dead connection's would.
 */
export class Member implements Subscription {
  private readonly held = new SlotList<MemoryDelivery>();

  constructor(
    private readonly group: Group,
    readonly spec: SubscriptionSpec,
    private readonly sink: DeliverySink,
  ) {}

  get hasCapacity(): boolean {
    return this.sink.room > 0;
  }

  /** Offsets this member holds right now (a replay does not enqueue them twice). */
  heldOffsets(): number[] {
    return this.held.snapshot().map((d) => d.entry.record.offset);
  }

  /** Called by the group's dispatch only when `hasCapacity`. */
  deliver(entry: Entry): void {
    const delivery = new MemoryDelivery(entry, this.group.name, this);
    this.held.add(delivery);
    this.sink.deliver(delivery);
  }

  acked(delivery: MemoryDelivery): void {
    this.held.remove(delivery);
    this.group.acked(delivery.entry);
  }

  /** Back to this group, attempt + 1, due after `afterMs`. */
  redeliver(delivery: MemoryDelivery, afterMs: number): void {
    this.held.remove(delivery);
    this.group.redeliver(delivery.entry, afterMs);
  }

  /** Records waiting in the group (ready, delayed or parked), not counting those members hold. */
  async lag(): Promise<{ messages: number }> {
    return { messages: this.group.waiting };
  }

  async close(): Promise<void> {
    const held = this.held.takeAll();
    // Back to the group with attempt + 1, due now, so another member (or a later one) gets them.
    this.group.leave(this, held.map((d) => d.entry));
  }
}
