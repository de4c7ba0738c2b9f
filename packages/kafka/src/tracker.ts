/**
 * Offsets of one partition that this consumer has taken and not yet finished. The position to
 * commit is the lowest unfinished offset (or, with none, the offset after the last one taken):
 * messages finish out of order under concurrency, and committing past one still running would
 * lose it if the process died.
 */
export class OffsetTracker {
  /** Offsets taken, in order; `done` marks the finished ones. Finished offsets at the head are dropped. */
  private offsets: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** The offset after the last one taken: where fetching continues. */
  next: number;

  constructor(start = -1) {
    this.next = start;
  }

  /** Records an offset as taken (offsets arrive in increasing order). */
  take(offset: number): void {
    this.offsets.push(offset);
    this.done.push(false);
    this.next = offset + 1;
  }

  /** Whether an offset was already taken here (a refetch after a rebalance repeats them). */
  seen(offset: number): boolean {
    return this.next >= 0 && offset < this.next;
  }

  finish(offset: number): void {
    // Finishing is usually near the head: scan from there.
    for (let i = this.head; i < this.offsets.length; i++) {
      if (this.offsets[i] === offset) {
        this.done[i] = true;
        break;
      }
    }
    while (this.head < this.offsets.length && this.done[this.head]) this.head++;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
  }

  /** The position to commit: the lowest unfinished offset, else the next offset to fetch (-1: nothing taken). */
  position(): number {
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.next;
  }

  /** The position if `offset` were finished too (what a transaction for it commits). */
  positionWith(offset: number): number {
    for (let i = this.head; i < this.offsets.length; i++) {
      if (!this.done[i] && this.offsets[i] !== offset) return this.offsets[i]!;
    }
    return this.next;
  }

  /** Taken and not finished. */
  get unfinished(): number {
    let n = 0;
    for (let i = this.head; i < this.offsets.length; i++) if (!this.done[i]) n++;
    return n;
  }
}
