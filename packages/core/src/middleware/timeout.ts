import { FerryError } from '../errors.ts';
import { SlotList, type Slotted } from '../consumer/slot-list.ts';
import type { MessageContext, Middleware } from './types.ts';

export class HandlerTimeoutError extends FerryError {
  constructor(ms: number) {
    super('FERRY_HANDLER_TIMEOUT', `Handler did not finish within handlerTimeoutMs (${ms} ms); it is treated as failed and retried.`);
  }
}

/** One running attempt: when it is due, and how to fail it. Lives only as long as the attempt. */
class Watch implements Slotted {
  slot = -1;

  constructor(
    readonly due: number,
    readonly ctx: MessageContext,
    readonly reject: (error: Error) => void,
  ) {}
}

/**
 * One timer for all running attempts, not one per message: a timer (or a Set entry) per message is
 * a measurable share of a fast consumer's CPU. The running attempts are a SlotList (O(1) add and
 * remove), scanned a few times per timeout period, so an attempt fails between `ms` and about
 * 1.25 x `ms` after it started. A finished attempt leaves at once: nothing of it outlives the
 * message (entries kept until a later check were promoted out of the young generation and grew
 * the old heap of a consumer draining a backlog by ~60 bytes a message between full collections).
 */
class Watchdog {
  private readonly running = new SlotList<Watch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly fire: (ctx: MessageContext, reject: (error: Error) => void) => void,
  ) {}

  add(watch: Watch): void {
    this.running.add(watch);
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.periodMs);
      this.timer.unref();
    }
  }

  /** Returns false when the watchdog already fired it. */
  finish(watch: Watch): boolean {
    if (watch.slot < 0) return false;
    this.running.remove(watch);
    if (this.running.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return true;
  }

  private check(): void {
    const now = Date.now();
    const due = this.running.snapshot().filter((w) => w.due <= now);
    for (const watch of due) {
      if (this.finish(watch)) this.fire(watch.ctx, watch.reject);
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
