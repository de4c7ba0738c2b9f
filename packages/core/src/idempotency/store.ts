/**
 * Remembers which message keys have had their effect. `claim` is atomic: of two copies arriving
 * at once, one gets `claimed`, the other `in-progress` (it waits and then sees `completed`).
 * Implement this over Redis (SET NX PX) or a SQL table with a unique key for multi-process use.
 */
export interface IdempotencyStore {
  /** Claims `key` for `leaseMs`. An expired lease (a crashed holder) can be claimed again. */
  claim(key: string, leaseMs: number): Promise<'claimed' | 'completed' | 'in-progress'>;
  /** The effect happened: remember it for `ttlMs`. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** The attempt failed: let a redelivery claim it again. */
  release(key: string): Promise<void>;
}
