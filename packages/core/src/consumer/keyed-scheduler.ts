/**
 * Runs tasks with at most `concurrency` at once, and tasks that share a key one after another in
 * the order they were scheduled. Tasks without a key only wait for a free slot.
 */
export class KeyedScheduler {
  private running = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number) {}

  /** Number of tasks scheduled and not yet finished (running or waiting). */
  get size(): number {
    return this.pending;
  }

  get active(): number {
    return this.running;
  }

  schedule(key: string | undefined, task: () => Promise<void>): Promise<void> {
    this.pending++;
    const previous = key === undefined ? undefined : this.tails.get(key);
    if (previous === undefined && this.running < this.concurrency) {
      // The common case on a busy consumer: nothing to wait for, so no promise chain to get there.
      this.running++;
      const run = this.runNow(task);
      if (key !== undefined) this.track(key, run);
      return run;
    }
    const run = (previous ?? Promise.resolve())
      .then(() => this.acquire())
      .then(async () => {
        try {
          await task();
        } finally {
          this.release();
        }
      })
      .finally(() => {
        if (--this.pending === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      });
    if (key !== undefined) this.track(key, run);
    return run;
  }

  private async runNow(task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } finally {
      this.release();
      if (--this.pending === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /** The key's next task waits for this one. */
  private track(key: string, run: Promise<void>): void {
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }

  /** Resolves when no task is scheduled. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    if (next) next(); // hand the slot over directly: running stays the same
    else this.running--;
  }
}
