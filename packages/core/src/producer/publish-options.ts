import { z } from 'zod';

export const publishOptionsSchema = z
  .object({
    /** Unique message id; default a random UUID. The default idempotency key. */
    id: z.string().min(1).max(256).optional(),
    /** Ordering key (Kafka partition key, SQS FIFO group). */
    key: z.string().min(1).max(1024).optional(),
    headers: z
      .record(z.string(), z.string())
      .refine((h) => !Object.keys(h).some((name) => name.startsWith('ferry-')), 'header names starting with "ferry-" are reserved for Ferry')
      .optional(),
    delayMs: z.number().int().min(0).optional(),
    priority: z.number().int().min(0).optional(),
  })
  .strict();

export type PublishOptions = z.input<typeof publishOptionsSchema>;
export type ResolvedPublishOptions = z.output<typeof publishOptionsSchema>;
