import type { DriverConsumer } from './driver.ts';
import type { Partition } from './partition.ts';

/**
 * Commits partition positions with one OffsetCommit at a time; acks that arrive meanwhile are
 * covered by the next one. A partition's position is the lowest offset not finished (its
 * OffsetTracker), or past the highest ack under at-most-once, and never goes back. A request
 * resolves when the commit after it is done or failed (a failed commit, e.g. during a rebalance,
 * leaves the offsets to the next commit or to the next owner).
 */
export class CommitBatcher {
  private readonly dirty = new Set<Partition>();
  private waiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  /** The partitions of the OffsetCommit under way, and its end. */
  private committing: { parts: ReadonlySet<Partition>; done: Promise<void> } | undefined;

  constructor(private readonly consumer: () => DriverConsumer | undefined) {}

  request(part: Partition): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.mark(part);
    return done;
  }

  /** Like request(), for a caller that does not wait for the commit. */
  mark(part: Partition): void {
    this.dirty.add(part);
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Commits these partitions' finished positions now (close). */
  async flush(parts: readonly Partition[]): Promise<void> {
    await this.idle();
    if (parts.length === 0) return;
    for (const p of parts) this.dirty.add(p);
    await this.request(parts[0]!);
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Resolves when no plain commit of `part` is queued or under way (others' may be): a
   * transaction committing the partition's position waits for this, so an older plain commit
   * cannot land after it and move the position back. Waiting for idle() instead would wait for
   * every partition's commits, which under load never pause.
   */
  async idleFor(part: Partition): Promise<void> {
    for (;;) {
      if (this.committing?.parts.has(part)) await this.committing.done;
      else if (this.dirty.has(part)) await this.request(part);
      else return;
    }
  }

  private async loop(): Promise<void> {
    while (this.dirty.size > 0) {
      const parts = [...this.dirty];
      this.dirty.clear();
      const waiters = this.waiters;
      this.waiters = [];
      const commits = parts
        .filter((p) => !p.released)
        .map((p) => ({ p, offset: Math.max(p.tracker.position(), p.ackedAbove) }))
        .filter(({ p, offset }) => offset >= 0 && offset > p.committed);
      const consumer = this.consumer();
      if (commits.length > 0 && consumer) {
        const sent = consumer.commitOffsets(commits.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset: String(offset) })));
        this.committing = { parts: new Set(commits.map(({ p }) => p)), done: sent.then(() => undefined, () => undefined) };
        try {
          await sent;
          for (const { p, offset } of commits) p.committed = Math.max(p.committed, offset);
        } catch {
          // Rebalance or connection loss: not committed. A later commit covers it, or the next owner redelivers.
        } finally {
          this.committing = undefined;
        }
      }
      for (const w of waiters) w();
    }
  }
}
