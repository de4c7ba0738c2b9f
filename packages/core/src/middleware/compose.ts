import type { HandlerFn, Middleware } from './types.ts';

/** compose([a, b, c], h) = a(b(c(h))): the first middleware is the outermost. */
export function compose(middleware: readonly Middleware[], handler: HandlerFn): HandlerFn {
  return middleware.reduceRight<HandlerFn>((next, wrap) => wrap(next), handler);
}
