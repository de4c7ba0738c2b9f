/**
 * What a claim found. `claims` counts the claims taken since the key was last released or
 * completed: 1 for a first claim, more when earlier holders vanished with their lease (a crashed
 * process, a killed handler), so a message that keeps crashing its consumer can be recognised.
 */
export type ClaimResult =
  | { readonly state: 'claimed'; readonly claims: number }
  /** Another holder's lease is live; `retryInMs` is when it runs out unless extended. */
  | { readonly state: 'in-progress'; readonly retryInMs: number }
  | { readonly state: 'completed' };

/**
 * Remembers which message keys have had their effect, shared by every process of a group.
 *
 * A claim is a lease held by one holder, named by a `token` the holder makes up. While the holder's
 * handler runs it extends the lease (`extend`); a holder that vanishes (crash, SIGKILL) stops
 * extending, the lease runs out and the next delivery claims the key. A holder whose lease was taken
 * over is fenced: `extend` and `complete` return false and change nothing. In-progress and completed
 * are different states; completed keys are remembered for `ttlMs`.
 *
 * Implementations: MemoryIdempotencyStore (one process), @ferry/redis, @ferry/postgres. The
 * testkit's `runStoreContract` checks an implementation against this contract.
 */
export interface IdempotencyStore {
  /**
   * Takes `key` for `token` for `leaseMs`, unless it is completed or a live lease holds it. Atomic:
   * of two claims at once, one gets `claimed`. An expired lease is taken over (claims + 1). The
   * record (and its claim count) is kept for `ttlMs`.
   */
  claim(key: string, token: string, lease: { readonly leaseMs: number; readonly ttlMs: number }): Promise<ClaimResult>;
  /** Keeps `token`'s lease alive for another `leaseMs`. False when it no longer holds the key. */
  extend(key: string, token: string, leaseMs: number): Promise<boolean>;
  /**
   * The effect happened: the key is completed for `ttlMs`, if `token` still holds it (its lease may
   * have run out as long as nobody took it over). False when fenced: nothing is changed.
   */
  complete(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** The attempt failed: gives the key up if `token` holds it, so a redelivery claims it at once (claims start again at 1). */
  release(key: string, token: string): Promise<void>;
  /** Closes what the store opened itself (connections made from a URL). Optional. */
  close?(): Promise<void>;
}
