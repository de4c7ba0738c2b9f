/** An item that knows its place in a SlotList (-1: not in one). */
export interface Slotted {
  slot: number;
}

/**
 * An unordered list with O(1) add and remove: each item keeps its index, and a removal moves the
 * last item into the gap. Per-message bookkeeping uses it rather than a Set: a Set's two hash-table
 * updates per message were a measurable share of a fast consumer's CPU.
 */
export class SlotList<T extends Slotted> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    item.slot = this.items.length;
    this.items.push(item);
  }

  remove(item: T): void {
    const slot = item.slot;
    if (slot < 0 || this.items[slot] !== item) return;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[slot] = last;
      last.slot = slot;
    }
    item.slot = -1;
  }

  /** Empties the list; returns what was in it. */
  takeAll(): T[] {
    const all = this.items;
    this.items = [];
    for (const item of all) item.slot = -1;
    return all;
  }

  /** A copy of the items, for iterating while they may be removed. */
  snapshot(): T[] {
    return [...this.items];
  }
}
