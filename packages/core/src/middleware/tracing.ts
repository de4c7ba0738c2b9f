import type { MessageContext, Middleware } from './types.ts';

/** A span, from whatever tracer you use (OpenTelemetry's fits). */
export interface SpanLike {
  end(error?: unknown): void;
}

export interface TracingOptions {
  /**
   * Called when handling starts. When the producer is instrumented (@ferry/opentelemetry), the
   * W3C `traceparent`/`tracestate` it put in the headers are in `ctx.envelope.headers`; start a
   * child span from them. Core itself sets no trace header: for OpenTelemetry, use
   * `instrument(client)` from @ferry/opentelemetry instead of this hook (docs/observability.md).
   */
  start(ctx: MessageContext): SpanLike | undefined;
}

/** Wraps handling in a span: ended with the error when the attempt fails. */
export function tracing(options: TracingOptions): Middleware {
  return (next) => async (ctx) => {
    const span = options.start(ctx);
    try {
      await next(ctx);
      const failed = ctx.outcome?.kind === 'retry' || ctx.outcome?.kind === 'dead-letter';
      span?.end(failed ? (ctx.outcome as { error: unknown }).error : undefined);
    } catch (error) {
      span?.end(error);
      throw error;
    }
  };
}
