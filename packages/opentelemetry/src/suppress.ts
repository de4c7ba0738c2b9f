import { context, createContextKey, type Context } from '@opentelemetry/api';

/**
 * The key OpenTelemetry's SDK reads to tell instrumentations that the work under it is traced
 * already (`suppressTracing` in @opentelemetry/core, the same since its 0.x releases): made here
 * with the API's `createContextKey` (a `Symbol.for` of the same description), so this package
 * needs no SDK package. The SDK's tracer then returns non-recording spans and its propagators
 * inject nothing: a client library's instrumentation under Ferry's send neither records a second
 * producer span nor replaces the trace context Ferry put in the headers.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Where the context from before suppression is kept, for the consume middleware's ambient link. */
const AMBIENT_KEY = createContextKey('ferry.opentelemetry.ambient');

export function suppressTracing(ctx: Context): Context {
  return ctx.setValue(SUPPRESS_TRACING_KEY, true);
}

export function isTracingSuppressed(ctx: Context): boolean {
  return ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}

/** Ferry's transport work (deliveries, settlement, redrive) under suppression, the context from before kept. */
export function suppressedScope<T>(work: () => T): T {
  const active = context.active();
  return context.with(suppressTracing(active).setValue(AMBIENT_KEY, active), work);
}

/** The context a delivery arrived in: from before Ferry's suppression when there was one. */
export function ambientContext(): Context {
  const active = context.active();
  return (active.getValue(AMBIENT_KEY) as Context | undefined) ?? active;
}
