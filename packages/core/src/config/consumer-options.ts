import { z } from 'zod';
import type { IdempotencyGuard } from '../idempotency/guard.ts';
import type { IdempotencyStore } from '../idempotency/store.ts';
import type { MiddlewareEntry } from '../middleware/placement.ts';
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
    /**
     * Deliveries held unsettled (running + waiting). Default: 2 x concurrency. As many acks again
     * may still be completing after their handlers returned (an SQS delete batch in flight).
     */
    prefetch: z.number().int().min(1).max(100_000).optional(),
    /**
     * Keep per-key order (messages with one key never run concurrently, and reach the group in
     * publish order). Default: what the transport's capabilities.orderingByKey says; true on a
     * transport without it is refused.
     */
    orderedByKey: z.boolean().optional(),
    retry: retrySchema.optional(),
    deadLetter: deadLetterSchema.default({ includeStack: true }),
    /**
     * Duplicate suppression: on by default under exactly-once (the client's store), off otherwise.
     * `{ store }` for a store shared by every process (@ferry/redis, @ferry/postgres), or a guard
     * such as @ferry/postgres's inbox, which records the key in the handler's own transaction.
     */
    idempotency: z
      .union([
        z.literal(false),
        z.custom<IdempotencyGuard>(isGuard, 'must be an idempotency guard'),
        z
          .object({
            store: z.custom<IdempotencyStore>(isStore, 'must implement IdempotencyStore (claim, extend, complete, release)').optional(),
            /** How long a completed key is remembered. */
            ttlMs: positiveMs.default(24 * 60 * 60 * 1000),
            /** How long a claim holds without its heartbeat: how soon a crashed holder's message runs again. */
            leaseMs: z.number().int().min(10).default(30_000),
            /** Dead-letter a message claimed this many times in a row by holders that vanished. */
            maxClaims: z.number().int().min(1).default(5),
          })
          .strict(),
      ])
      .optional(),
    /**
     * Dead-letter a message on its delivery number `maxDeliveries + 1`, before the handler runs,
     * so a message that kills its process (never failing, so never retried to the end) stops
     * coming back. Counted by the broker where it keeps a count (SQS, RabbitMQ quorum queues, retry
     * copies: every delivery, retries included), and by the idempotency store for deliveries whose
     * process died where it does not (Kafka, memory, RabbitMQ classic queues): the consumer's
     * `idempotency.store`, else the client's `idempotencyStore` (shared by the group's processes to
     * count crashes). `{ limit, store, leaseMs }` names the store, and how long a dead holder's
     * lease holds its redelivery back (default 30 s). Off by default.
     */
    maxDeliveries: z
      .union([
        z.number().int().min(1),
        z
          .object({
            limit: z.number().int().min(1),
            store: z.custom<IdempotencyStore>(isStore, 'must implement IdempotencyStore (claim, extend, complete, release)').optional(),
            leaseMs: z.number().int().min(10).default(30_000),
          })
          .strict(),
      ])
      .optional(),
    start: startSchema.default({ from: 'stored' }),
    /** A handler running longer fails (retryable) and its signal aborts. */
    handlerTimeoutMs: z.number().int().min(1).default(5 * 60 * 1000),
    /** What to do with a message of a type this consumer has no handler for. */
    unknownTypes: z.enum(['dead-letter', 'ignore']).default('dead-letter'),
    /**
     * Your middleware. A function runs innermost, just around the handler; `{ middleware, before |
     * after: step }` places it by step name (deadLetter, retry, timeout, decode, validateSchema,
     * idempotency, handler) or by another entry's `name`.
     */
    middleware: z.array(z.custom<MiddlewareEntry<Middleware>>(isEntry, 'must be a function (next) => handler, or { middleware, before | after }')).default([]),
    /**
     * A subscription whose transport gives up (a crashed Kafka consumer, a closed channel or
     * connection, receives that keep failing) is reported to `hooks.onError` and subscribed again:
     * first after about `initialDelayMs`, doubling per failed attempt up to `maxDelayMs`, half of
     * each wait drawn at random. `consumer.health()` shows each subscription's state.
     */
    restart: z
      .object({
        initialDelayMs: z.number().int().min(1).default(500),
        maxDelayMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .refine((r) => r.maxDelayMs >= r.initialDelayMs, { message: 'maxDelayMs must be at least initialDelayMs', path: ['maxDelayMs'] })
      .default({ initialDelayMs: 500, maxDelayMs: 30_000 }),
    hooks: z.custom<ConsumerHooks>((v) => typeof v === 'object' && v !== null, 'must be an object of hook functions').optional(),
  })
  .strict();

function isStore(v: unknown): boolean {
  const s = v as IdempotencyStore | null;
  return typeof s?.claim === 'function' && typeof s.extend === 'function' && typeof s.complete === 'function' && typeof s.release === 'function';
}

function isGuard(v: unknown): boolean {
  return typeof (v as IdempotencyGuard | null)?.middleware === 'function';
}

function isEntry(v: unknown): boolean {
  return typeof v === 'function' || (typeof v === 'object' && v !== null && typeof (v as { middleware?: unknown }).middleware === 'function');
}

export type ConsumerOptions = z.input<typeof consumerOptionsSchema>;
export type ResolvedConsumerOptions = z.output<typeof consumerOptionsSchema>;
export type RetryOptions = z.output<typeof retrySchema>;
