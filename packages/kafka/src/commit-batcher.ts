import { errorFields, type Logger } from '@ferry/core/spi';
import type { DriverConsumer } from './driver.ts';
import type { Partition } from './partition.ts';

const FLUSH_ATTEMPTS = 3;

/** The partition's position to commit: undefined when it is released or not past the one committed. */
function uncommitted(p: Partition): number | undefined {
  if (p.released) return undefined;
  const offset = Math.max(p.tracker.position(), p.ackedAbove);
  return offset >= 0 && offset > p.committed ? offset : undefined;
}

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

  /** Why the last OffsetCommit failed (flush names it when it gives up). */
  private lastFailure: unknown;

  constructor(
    private readonly consumer: () => DriverConsumer | undefined,
    /** Where flush says it gave up, and the group it names. */
    private readonly logs: { readonly group: string; readonly logger: () => Logger },
  ) {}

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

  /**
   * Commits these partitions' finished positions now (close). A failed commit is tried again
   * (three tries in all, 100 and 200 ms apart) while the member still owns the partitions: at
   * close no later commit would cover it, and what was acknowledged would be read again. Giving
   * up is logged as a warning: an operator who purged or redrove would otherwise see it come back
   * with nothing said.
   */
  async flush(parts: readonly Partition[]): Promise<void> {
    await this.idle();
    for (let attempt = 0; attempt < FLUSH_ATTEMPTS; attempt++) {
      const behind = parts.filter((p) => uncommitted(p) !== undefined);
      if (behind.length === 0 || !this.consumer()) return;
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
      for (const p of behind) this.dirty.add(p);
      await this.request(behind[0]!);
    }
    const left = parts.filter((p) => uncommitted(p) !== undefined);
    if (left.length === 0 || !this.consumer()) return;
    const positions = left.map((p) => `${p.topic}:${p.partition}@${uncommitted(p)}`);
    const err = errorFields(this.lastFailure); // its message is redacted
    this.logs.logger().warn(
      { group: this.logs.group, uncommitted: positions, err },
      `Kafka group \`${this.logs.group}\` could not commit its final offsets at close after ${FLUSH_ATTEMPTS} tries (${String(err.message)}): ` +
        `messages acknowledged below ${positions.join(', ')} since the group's last commit will be delivered again`,
    );
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
      const commits: Array<{ p: Partition; offset: number }> = [];
      for (const p of parts) {
        const offset = uncommitted(p);
        if (offset !== undefined) commits.push({ p, offset });
      }
      const consumer = this.consumer();
      if (commits.length > 0 && consumer) {
        const sent = consumer.commitOffsets(commits.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset: String(offset) })));
        this.committing = { parts: new Set(commits.map(({ p }) => p)), done: sent.then(() => undefined, () => undefined) };
        try {
          await sent;
          for (const { p, offset } of commits) p.committed = Math.max(p.committed, offset);
        } catch (error) {
          // Rebalance or connection loss: not committed. A later commit covers it, or the next owner redelivers.
          this.lastFailure = error;
        } finally {
          this.committing = undefined;
        }
      }
      for (const w of waiters) w();
    }
  }
}
