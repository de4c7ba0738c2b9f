import type { Entry } from './partition.ts';

/**
 * Records of the retry and delay topics waiting in memory until their due time, each on an
 * unref'd timer, without holding back anything else. A record of a partition revoked meanwhile is
 * dropped when due (the next owner has it).
 */
export class HeldRecords {
  private count = 0;

  constructor(private readonly onDue: (entry: Entry) => void) {}

  /** Records waiting now (the fetcher stops taking more at the `maxHeld` option). */
  get size(): number {
    return this.count;
  }

  hold(entry: Entry, dueAt: number): void {
    this.count++;
    const arm = () => {
      const timer = setTimeout(() => {
        // Timers can fire a millisecond before Date.now() reaches the due time: never early.
        if (Date.now() < dueAt) return arm();
        this.count--;
        if (!entry.part.released) this.onDue(entry);
      }, dueAt - Date.now());
      timer.unref();
    };
    arm();
  }
}
