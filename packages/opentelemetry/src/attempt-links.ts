import type { SpanContext } from '@opentelemetry/api';

/**
 * The span of each message's last failed attempt in this process (retried or dead-lettered), so
 * that its next attempt, or its handling after a redrive, links to it. A retry copy carries the
 * headers it was first published with, not the failed attempt's context (adapters resend the
 * envelope as it arrived; SQS redelivers the same message), so this link only exists when the next
 * attempt runs in the same process; the creation context (the `send` span, the parent of every
 * attempt) ties them together everywhere. Bounded: the oldest entries go first.
 */
export class AttemptLinks {
  private readonly failed = new Map<string, Map<string, SpanContext>>();
  private entries = 0;

  constructor(private readonly limit: number) {}

  /** Remembers the failed attempt of `id` in `group`, replacing an earlier one. */
  failedAttempt(group: string, id: string, span: SpanContext): void {
    if (this.limit <= 0) return;
    let ids = this.failed.get(group);
    if (!ids) this.failed.set(group, (ids = new Map()));
    if (ids.delete(id)) this.entries--;
    ids.set(id, span);
    this.entries++;
    if (this.entries > this.limit) this.evictOldest();
  }

  /** The last failed attempt of `id` in `group`, forgotten once taken. */
  take(group: string, id: string): SpanContext | undefined {
    if (this.entries === 0) return undefined;
    const ids = this.failed.get(group);
    const span = ids?.get(id);
    if (span !== undefined) {
      ids!.delete(id);
      this.entries--;
    }
    return span;
  }

  get size(): number {
    return this.entries;
  }

  private evictOldest(): void {
    // Groups are few: drop the first (oldest) id of the largest group.
    let largest: Map<string, SpanContext> | undefined;
    for (const ids of this.failed.values()) if (!largest || ids.size > largest.size) largest = ids;
    const oldest = largest?.keys().next();
    if (oldest && !oldest.done) {
      largest!.delete(oldest.value);
      this.entries--;
    }
  }
}
