import { FerryError } from '../errors.ts';
import type { MessageContext, Middleware } from './types.ts';

export class HandlerTimeoutError extends FerryError {
  constructor(ms: number) {
    super('FERRY_HANDLER_TIMEOUT', `Handler did not finish within handlerTimeoutMs (${ms} ms); it is treated as failed and retried.`);
  }
}

/** One running attempt: when it is due, and how to fail it. */
class Watch {
  constructor(
    readonly due: number,
    readonly ctx: MessageContext,
    readonly reject: (error: Error) => void,
  ) {}
}

/**
 * One timer for all running attempts, not one per message: a timer per message is a measurable
 * share of a fast consumer's CPU. It checks a few times per timeout period, so an attempt fails
 * between `ms` and about 1.25 x `ms` after it started.
 */
class Watchdog {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly fire: (watch: Watch) => void,
  ) {}

  add(watch: Watch): void {
    this.watches.add(watch);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.periodMs);
      this.timer.unref();
    }
  }

  delete(watch: Watch): void {
    this.watches.delete(watch);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private check(): void {
    const now = Date.now();
    for (const watch of this.watches) {
      if (watch.due <= now) {
        this.delete(watch);
        this.fire(watch);
      }
    }
  }
}

/**
 * Fails an attempt that runs longer than `ms`. JavaScript cannot stop the handler, so its
 * `ctx.signal` is what tells it to give up; the loop does not wait for it.
 */
export function timeout(ms: number, onTimeout: (ctx: MessageContext) => void): Middleware {
  const watchdog = new Watchdog(Math.max(1, Math.min(1000, Math.ceil(ms / 4))), (watch) => {
    onTimeout(watch.ctx);
    watch.reject(new HandlerTimeoutError(ms));
  });
  // No closures per attempt beyond the promise's own: this runs for every message.
  return (next) => (ctx) =>
    new Promise<void>((resolve, reject) => {
      const watch = new Watch(Date.now() + ms, ctx, reject);
      watchdog.add(watch);
      next(ctx).then(
        () => {
          watchdog.delete(watch);
          resolve();
        },
        (error: unknown) => {
          watchdog.delete(watch);
          reject(error);
        },
      );
    });
}
