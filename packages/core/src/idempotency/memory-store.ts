import type { ClaimResult, IdempotencyStore } from './store.ts';

interface Entry {
  state: 'in-progress' | 'released' | 'completed';
  token: string;
  /** Claims since the last release or completion. */
  claims: number;
  /** in-progress: when the lease runs out. */
  leaseUntil: number;
  /** When the record is forgotten. */
  expiresAt: number;
}

/**
 * One process's idempotency store. Right for tests, the demo and single-process services; across
 * processes, or to survive a restart, use a shared store (@ferry/redis, @ferry/postgres): each
 * process would have its own memory, empty after a crash.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, token: string, lease: { readonly leaseMs: number; readonly ttlMs: number }): Promise<ClaimResult> {
    this.maybeSweep();
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) entry = undefined;
    if (entry?.state === 'completed') return { state: 'completed' };
    if (entry?.state === 'in-progress' && entry.leaseUntil > now) return { state: 'in-progress', retryInMs: entry.leaseUntil - now };
    const claims = entry?.state === 'in-progress' ? entry.claims + 1 : 1;
    this.entries.set(key, { state: 'in-progress', token, claims, leaseUntil: now + lease.leaseMs, expiresAt: now + Math.max(lease.ttlMs, lease.leaseMs) });
    return { state: 'claimed', claims };
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    const entry = this.held(key, token);
    if (!entry) return false;
    const now = this.now();
    entry.leaseUntil = now + leaseMs;
    entry.expiresAt = Math.max(entry.expiresAt, entry.leaseUntil);
    return true;
  }

  async complete(key: string, token: string, ttlMs: number): Promise<boolean> {
    const entry = this.held(key, token);
    if (!entry) return false;
    this.entries.set(key, { state: 'completed', token: '', claims: 0, leaseUntil: 0, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    const entry = this.held(key, token);
    if (!entry) return;
    entry.state = 'released';
    entry.claims = 0;
    entry.leaseUntil = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry `token` holds (in progress, not expired as a record), or undefined. */
  private held(key: string, token: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.state !== 'in-progress' || entry.token !== token || entry.expiresAt <= this.now()) return undefined;
    return entry;
  }

  /** Drops expired entries now and then so memory stays bounded by the TTL. */
  private maybeSweep(): void {
    if (++this.sweeps % 1024 !== 0) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
