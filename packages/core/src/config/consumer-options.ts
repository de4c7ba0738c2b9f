import { z } from 'zod';
import type { IdempotencyStore } from '../idempotency/store.ts';
import type { Middleware } from '../middleware/types.ts';
import type { ConsumerHooks } from '../consumer/hooks.ts';

const positiveMs = z.number().int().min(0);

export const retrySchema = z
  .object({
    /** Total attempts, the first included. 1 = no retry. */
    attempts: z.number().int().min(1).max(1000).default(5),
    initialDelayMs: positiveMs.default(200),
    multiplier: z.number().min(1).max(100).default(2),
    maxDelayMs: positiveMs.default(30_000),
    /** Fraction of each delay drawn at random (0 = none, 1 = full jitter). */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict();

export const deadLetterSchema = z.union([
  z.literal(false),
  z
    .object({
      /** Default: `<topic>.dlq`. */
      topic: z.string().min(1).optional(),
      /** Put the error stack in the headers (truncated). */
      includeStack: z.boolean().default(true),
    })
    .strict(),
]);

const startSchema = z.discriminatedUnion('from', [
  z.object({ from: z.literal('stored') }).strict(),
  z.object({ from: z.literal('earliest') }).strict(),
  z.object({ from: z.literal('offset'), offset: z.number().int().min(0), partition: z.number().int().min(0).optional() }).strict(),
  z.object({ from: z.literal('timestamp'), timestamp: z.number().int().min(0) }).strict(),
]);

export const consumerOptionsSchema = z
  .object({
    /** Competing consumers share a group; each group gets every message. */
    group: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'must be 1-200 letters, digits, ".", "_" or "-"'),
    delivery: z.enum(['at-most-once', 'at-least-once', 'exactly-once']).default('at-least-once'),
    /** Handlers running at once. Messages with one key still run one at a time, in order. */
    concurrency: z.number().int().min(1).max(10_000).default(1),
    /** Deliveries held unsettled (running + waiting). Default: 2 x concurrency. */
    prefetch: z.number().int().min(1).max(100_000).optional(),
    /**
     * Keep per-key order (messages with one key never run concurrently, and reach the group in
     * publish order). Default: what the transport's capabilities.orderingByKey says; true on a
     * transport without it is refused.
     */
    orderedByKey: z.boolean().optional(),
    retry: retrySchema.optional(),
    deadLetter: deadLetterSchema.default({ includeStack: true }),
    idempotency: z
      .union([
        z.literal(false),
        z
          .object({
            store: z.custom<IdempotencyStore>((v) => typeof (v as IdempotencyStore | null)?.claim === 'function', 'must implement IdempotencyStore').optional(),
            /** How long a completed key is remembered. */
            ttlMs: positiveMs.default(24 * 60 * 60 * 1000),
            /** How long a claim holds before a crashed holder's message can run again. */
            leaseMs: positiveMs.default(5 * 60 * 1000),
          })
          .strict(),
      ])
      .optional(),
    start: startSchema.default({ from: 'stored' }),
    /** A handler running longer fails (retryable) and its signal aborts. */
    handlerTimeoutMs: z.number().int().min(1).default(5 * 60 * 1000),
    /** What to do with a message of a type this consumer has no handler for. */
    unknownTypes: z.enum(['dead-letter', 'ignore']).default('dead-letter'),
    middleware: z.array(z.custom<Middleware>((v) => typeof v === 'function', 'must be a function (next) => handler')).default([]),
    hooks: z.custom<ConsumerHooks>((v) => typeof v === 'object' && v !== null, 'must be an object of hook functions').optional(),
  })
  .strict();

export type ConsumerOptions = z.input<typeof consumerOptionsSchema>;
export type ResolvedConsumerOptions = z.output<typeof consumerOptionsSchema>;
export type RetryOptions = z.output<typeof retrySchema>;
