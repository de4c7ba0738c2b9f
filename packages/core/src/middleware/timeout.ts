import { FerryError } from '../errors.ts';
import type { MessageContext, Middleware } from './types.ts';

export class HandlerTimeoutError extends FerryError {
  constructor(ms: number) {
    super('FERRY_HANDLER_TIMEOUT', `Handler did not finish within handlerTimeoutMs (${ms} ms); it is treated as failed and retried.`);
  }
}

/**
 * One running attempt: when it is due, and how to fail it. A finished one drops its context and
 * callback at once: it may wait in the queue for up to a check period, and what it still held
 * would outlive a young-generation collection and be promoted (a 1M-message backlog drained by a
 * slow handler grew the old heap by hundreds of MB that way).
 */
class Watch {
  finished = false;

  constructor(
    readonly due: number,
    public ctx: MessageContext | undefined,
    public reject: ((error: Error) => void) | undefined,
  ) {}
}

/**
 * One timer for all running attempts, not one per message: a timer (or a Set entry) per message is
 * a measurable share of a fast consumer's CPU. Every attempt of one middleware has the same
 * timeout, so attempts fall due in the order they started: a queue in start order, checked from
 * the head a few times per timeout period, so an attempt fails between `ms` and about 1.25 x `ms`
 * after it started. Finished attempts are only marked; they leave the queue when they reach its
 * head, or in a compaction when many pile up behind a long-running one.
 */
class Watchdog {
  private queue: Watch[] = [];
  private head = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly fire: (ctx: MessageContext, reject: (error: Error) => void) => void,
  ) {}

  add(watch: Watch): void {
    this.queue.push(watch);
    this.running++;
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.periodMs);
      this.timer.unref();
    }
  }

  finish(watch: Watch): void {
    if (watch.finished) return;
    watch.finished = true;
    watch.ctx = undefined;
    watch.reject = undefined;
    if (--this.running === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.queue = [];
      this.head = 0;
    }
  }

  private check(): void {
    const now = Date.now();
    while (this.head < this.queue.length) {
      const watch = this.queue[this.head]!;
      if (!watch.finished && watch.due > now) break;
      this.head++;
      if (!watch.finished) {
        const { ctx, reject } = watch;
        this.finish(watch);
        this.fire(ctx!, reject!);
      }
    }
    const waiting = this.queue.length - this.head;
    if (this.head > 0 && (this.head * 2 > this.queue.length || waiting > 4 * this.running + 1024)) {
      this.queue = this.queue.slice(this.head).filter((w) => !w.finished);
      this.head = 0;
    }
  }
}

/**
 * Fails an attempt that runs longer than `ms`. JavaScript cannot stop the handler, so its
 * `ctx.signal` is what tells it to give up; the loop does not wait for it.
 */
export function timeout(ms: number, onTimeout: (ctx: MessageContext) => void): Middleware {
  const watchdog = new Watchdog(Math.max(1, Math.min(1000, Math.ceil(ms / 4))), (ctx, reject) => {
    onTimeout(ctx);
    reject(new HandlerTimeoutError(ms));
  });
  // No closures per attempt beyond the promise's own: this runs for every message.
  return (next) => (ctx) =>
    new Promise<void>((resolve, reject) => {
      const watch = new Watch(Date.now() + ms, ctx, reject);
      watchdog.add(watch);
      next(ctx).then(
        () => {
          watchdog.finish(watch);
          resolve();
        },
        (error: unknown) => {
          watchdog.finish(watch);
          reject(error);
        },
      );
    });
}
