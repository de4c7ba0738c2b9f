/** Where progress goes: a terminal gets one line rewritten in place, anything else plain lines. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Progress of a long redrive or purge: on a terminal one line rewritten at most every 200 ms
 * (count, rate); piped, a plain line every 5 s, so logs stay readable. `done()` ends the line.
 */
export class Progress {
  private readonly started: number;
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly verb: string,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.last = this.started;
  }

  update(count: number, left: number): void {
    const t = this.now();
    if (t - this.last < (this.stream.isTTY ? 200 : 5000)) return;
    this.last = t;
    const rate = Math.round((count * 1000) / Math.max(1, t - this.started));
    const line = `${this.verb} ${count} (${rate}/s), left ${left}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.shown = true;
    } else this.stream.write(`${line}\n`);
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
  }
}
