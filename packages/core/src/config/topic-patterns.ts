import { z } from 'zod';

/**
 * Adapter options that pick topics by name (`priorityTopics`, `fifoTopics`, ...): exact names, or
 * `prefix*` for every topic starting with prefix; `*` matches all.
 */
export const topicPatternsSchema = z
  .array(z.string().min(1))
  .default([])
  .describe('topic names; an entry ending in `*` matches every topic with that prefix; `*` matches all');

/** Whether `topic` is matched by a list of names / `prefix*` patterns. */
export function matchesTopic(patterns: readonly string[], topic: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? topic.startsWith(p.slice(0, -1)) : p === topic));
}
