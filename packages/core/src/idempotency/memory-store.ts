import type { IdempotencyStore } from './store.ts';

interface Entry {
  state: 'in-progress' | 'completed';
  expiresAt: number;
}

/**
 * One process's idempotency store. Right for tests, the demo and single-process services; across
 * processes use a shared store (Redis, SQL), since each process would have its own memory.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, leaseMs: number): Promise<'claimed' | 'completed' | 'in-progress'> {
    this.maybeSweep();
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && entry.expiresAt > now) return entry.state;
    this.entries.set(key, { state: 'in-progress', expiresAt: now + leaseMs });
    return 'claimed';
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { state: 'completed', expiresAt: this.now() + ttlMs });
  }

  async release(key: string): Promise<void> {
    if (this.entries.get(key)?.state === 'in-progress') this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries now and then so memory stays bounded by the TTL. */
  private maybeSweep(): void {
    if (++this.sweeps % 1024 !== 0) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
