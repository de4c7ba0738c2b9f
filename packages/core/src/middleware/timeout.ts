import { FerryError } from '../errors.ts';
import type { MessageContext, Middleware } from './types.ts';

export class HandlerTimeoutError extends FerryError {
  constructor(ms: number) {
    super('FERRY_HANDLER_TIMEOUT', `Handler did not finish within handlerTimeoutMs (${ms} ms); it is treated as failed and retried.`);
  }
}

/**
 * Fails an attempt that runs longer than `ms`. JavaScript cannot stop the handler, so its
 * `ctx.signal` is what tells it to give up; the loop does not wait for it.
 */
export function timeout(ms: number, onTimeout: (ctx: MessageContext) => void): Middleware {
  return (next) => async (ctx) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout(ctx);
        reject(new HandlerTimeoutError(ms));
      }, ms);
    });
    try {
      await Promise.race([next(ctx), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
