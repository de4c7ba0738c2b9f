import type { Middleware } from '../middleware/types.ts';

/** What a guard knows of the consumer it serves. */
export interface GuardConsumer {
  readonly group: string;
}

/**
 * The consumer's `idempotency` step, for strategies beyond a key-value store: @ferry/postgres's
 * inbox records each message's key in the transaction that holds the handler's own writes. Core's
 * store-backed step is the default (`idempotency: { store }`).
 */
export interface IdempotencyGuard {
  /** The middleware for one consumer; it runs where the `idempotency` step sits in the chain. */
  middleware(consumer: GuardConsumer): Middleware;
}
