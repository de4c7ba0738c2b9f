import { Fifo } from '@ferry/core/spi';
import type { Entry, Partition } from './partition.ts';

/** Most partitions a full buffer still gives a share to; more partitions share the same overshoot. */
const SHARED_PARTITIONS = 64;

/**
 * Fetched records waiting for core, one queue per partition, handed round-robin across the
 * partitions. One fetch of a partition can hold thousands of records: handed in fetch order,
 * they would fill core's in-flight window with one partition, and under exactly-once (one
 * transaction at a time per partition) leave one handler running while the other partitions'
 * records waited behind them.
 *
 * The buffer holds `maxBuffered` records; a partition with fewer than its share
 * (maxBuffered / 64) queued takes records even when it is full, so one partition's large fetch
 * cannot keep the others from being fetched at all.
 */
export class ReadyRecords {
  private readonly queues = new Map<Partition, Fifo<Entry>>();
  /** Partitions with queued records, in serving order; each appears once (dropped ones are skipped). */
  private readonly turns = new Fifo<Partition>();
  private total = 0;
  private readonly share: number;

  constructor(private readonly maxBuffered: number) {
    this.share = Math.max(1, Math.floor(maxBuffered / SHARED_PARTITIONS));
  }

  get length(): number {
    return this.total;
  }

  /** Queues a record; returns a condition to wait for before its partition queues more, or undefined. */
  push(entry: Entry): (() => boolean) | undefined {
    const part = entry.part;
    let queue = this.queues.get(part);
    if (!queue) {
      queue = new Fifo<Entry>();
      this.queues.set(part, queue);
    }
    if (queue.length === 0) this.turns.push(part);
    queue.push(entry);
    this.total++;
    if (this.total < this.maxBuffered || queue.length < this.share) return undefined;
    const own = queue;
    // It resumes at half, not at the first free place: fewer wake-ups.
    return () => this.total <= this.maxBuffered / 2 || own.length <= this.share / 2;
  }

  /** The next partition's oldest record. */
  shift(): Entry | undefined {
    for (;;) {
      const part = this.turns.peek();
      if (part === undefined) return undefined;
      const queue = this.queues.get(part);
      if (!queue || queue.length === 0) {
        this.turns.shift(); // dropped
        continue;
      }
      const entry = queue.shift()!;
      this.total--;
      if (queue.length === 0) this.turns.shift();
      else if (this.turns.length > 1) this.turns.push(this.turns.shift()!);
      // One partition with records (the usual case of a fast consumer): it stays first.
      return entry;
    }
  }

  /** Forgets a revoked partition's records (the next owner fetches them). */
  drop(part: Partition): void {
    const queue = this.queues.get(part);
    if (!queue) return;
    this.total -= queue.length;
    this.queues.delete(part);
  }
}
