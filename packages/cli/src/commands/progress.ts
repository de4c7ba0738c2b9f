/**
 * Progress of a long-running command (count and rate): on a terminal one line rewritten in place
 * every `intervalMs`; piped, a plain line every `pipedIntervalMs`, so logs stay readable.
 */
export class Progress {
  private count = 0;
  private readonly started = Date.now();
  private lastPlain = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly what: string,
    private readonly stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr,
    private readonly options: { intervalMs?: number; pipedIntervalMs?: number } = {},
  ) {
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? 250);
    this.timer.unref();
  }

  add(n = 1): void {
    this.count += n;
  }

  get total(): number {
    return this.count;
  }

  /** The summary line (the caller prints it), after clearing the terminal line. */
  finish(): string {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
    return this.line();
  }

  private tick(): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[K${this.line()}`);
    } else if (Date.now() - this.lastPlain >= (this.options.pipedIntervalMs ?? 5_000)) {
      this.lastPlain = Date.now();
      this.stream.write(`${this.line()}\n`);
    }
  }

  private line(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.count / seconds) : 0;
    return `${this.what} ${this.count.toLocaleString('en-US')} (${rate.toLocaleString('en-US')} msg/s, ${seconds.toFixed(1)} s)`;
  }
}
