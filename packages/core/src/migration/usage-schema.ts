import { z } from 'zod';
import { retrySchema } from '../config/consumer-options.ts';
import { parseOptions } from '../config/parse.ts';
import { topicsSchema } from '../client/group-declarations.ts';
import type { MigrationUsage } from './migrate-check.ts';

const startSchema = z.object({ from: z.enum(['stored', 'earliest', 'offset', 'timestamp']) }).passthrough();

/** What `ferry migrate-check --usage <file>` reads: `MigrationUsage`, and the client's `topics` option to count groups per topic. */
const usageSchema = z
  .object({
    consumers: z
      .array(
        z
          .object({
            group: z.string().min(1),
            delivery: z.enum(['at-most-once', 'at-least-once', 'exactly-once']).optional(),
            orderedByKey: z.boolean().optional(),
            start: startSchema.optional(),
            retry: retrySchema.partial().optional(),
          })
          .strict(),
      )
      .optional(),
    groupsPerTopic: z.number().int().min(1).optional(),
    /** The client option `topics`: the most groups declared for one topic counts as groupsPerTopic. */
    topics: topicsSchema.optional(),
    publishes: z
      .object({
        maxDelayMs: z.number().int().min(0).optional(),
        maxPriority: z.number().int().min(0).optional(),
        maxMessageBytes: z.number().int().min(1).optional(),
        keyed: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Validates a usage description (a `--usage` file), with errors naming the field (`usage.consumers.0.group`). */
export function parseMigrationUsage(value: unknown): MigrationUsage {
  const { topics, ...usage } = parseOptions(usageSchema, value, 'usage');
  const declared = Object.values(topics ?? {}).map((t) => new Set(t.groups).size);
  const groupsPerTopic = Math.max(usage.groupsPerTopic ?? 1, ...declared);
  return { ...usage, groupsPerTopic } as MigrationUsage;
}
