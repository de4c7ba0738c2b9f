/** What a bridge has done so far. */
export interface BridgeProgress {
  /** Messages the destination confirmed and the source acknowledged. */
  readonly copied: number;
  /** Messages per second over the last few seconds. */
  readonly rate: number;
  /** Received and not yet confirmed by the destination. */
  readonly inFlight: number;
  /** Dead-lettered at the source because the destination refuses them for good. */
  readonly refused: number;
  /** Failed publishes or acks that were tried again. */
  readonly retries: number;
  /** Messages waiting at the source for the bridge's group, where the broker tells (else undefined). */
  readonly lag: number | undefined;
  readonly elapsedMs: number;
}

/** How far back the rate looks. */
const WINDOW_MS = 5_000;

/** Counts, and the copy rate over a sliding window. */
export class ProgressMeter {
  refused = 0;
  retries = 0;
  private total = 0;
  private readonly started = Date.now();
  /** (time, total) samples, oldest first, a few seconds' worth. */
  private samples: Array<[number, number]> = [[Date.now(), 0]];

  copied(n: number): void {
    this.total += n;
  }

  snapshot(inFlight: number, lag: number | undefined): BridgeProgress {
    const now = Date.now();
    this.samples.push([now, this.total]);
    while (this.samples.length > 2 && this.samples[1]![0] <= now - WINDOW_MS) this.samples.shift();
    const [t0, n0] = this.samples[0]!;
    const rate = now > t0 ? Math.round(((this.total - n0) * 1000) / (now - t0)) : 0;
    return { copied: this.total, rate, inFlight, refused: this.refused, retries: this.retries, lag, elapsedMs: now - this.started };
  }
}
