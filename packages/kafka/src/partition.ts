import type { Decoded } from './codec.ts';
import { OffsetTracker } from './tracker.ts';

/** One assigned partition of one of the subscription's topics, and what this consumer knows of it. */
export class Partition {
  readonly tracker = new OffsetTracker();
  /** Last position committed by this consumer (-1: none yet). */
  committed = -1;
  /**
   * At-most-once only: the offset after the highest acked one. Committed even past earlier
   * offsets not acked yet, because an acked message (its handler may have run) must never be
   * delivered again; those earlier ones are lost on a crash instead, which at-most-once allows.
   */
  ackedAbove = -1;
  /** Revoked by a rebalance or released by close: its deliveries can no longer be committed. */
  released = false;
  private keyText: string | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Retry and delay topics: records wait until their due time. */
    readonly held: boolean,
  ) {}

  /** `topic:partition`: the delivery's serialKey, and the fetcher's map key. */
  get key(): string {
    this.keyText ??= `${this.topic}:${this.partition}`;
    return this.keyText;
  }
}

/** A record taken from a partition: buffered, held until due, or with core. */
export interface Entry {
  readonly part: Partition;
  readonly offset: number;
  readonly decoded: Decoded;
}
