import type { DeadLetter } from './dead-letter-view.ts';

/** Which dead letters a redrive or purge takes; every field given must match. */
export interface DeadLetterSelector {
  /** The kind (`decode`, `schema`, `handler`…) equals it, or the reason contains it. */
  readonly reason?: string | undefined;
  /** The message type equals it. */
  readonly type?: string | undefined;
  /** The topic it was dead-lettered from equals it. */
  readonly originalTopic?: string | undefined;
  /** Dead-lettered at least this long ago (publish time for a dead letter the broker wrote). */
  readonly olderThanMs?: number | undefined;
}

export function selects(selector: DeadLetterSelector, letter: DeadLetter, now = Date.now()): boolean {
  if (selector.reason !== undefined && letter.kind !== selector.reason && !(letter.reason ?? '').includes(selector.reason)) return false;
  if (selector.type !== undefined && letter.type !== selector.type) return false;
  if (selector.originalTopic !== undefined && letter.originalTopic !== selector.originalTopic) return false;
  if (selector.olderThanMs !== undefined && now - (letter.deadLetteredAt ?? letter.publishedAt) < selector.olderThanMs) return false;
  return true;
}
