import { createTraceState, isSpanContextValid, trace, TraceFlags, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { isTracingSuppressed } from './suppress.ts';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const PARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/**
 * W3C Trace Context (traceparent, tracestate), written with the API alone: what Ferry injects when
 * no global propagator is registered (an SDK's `NodeSDK` registers one; a test that only passes a
 * tracer provider does not). Same output as @opentelemetry/core's W3CTraceContextPropagator
 * (w3c-propagator.test.ts compares them).
 */
export class W3CTraceContext implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (!sc || isTracingSuppressed(ctx) || !isSpanContextValid(sc)) return;
    setter.set(carrier, TRACEPARENT, `00-${sc.traceId}-${sc.spanId}-0${Number(sc.traceFlags || TraceFlags.NONE).toString(16)}`);
    if (sc.traceState) setter.set(carrier, TRACESTATE, sc.traceState.serialize());
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const parent = first(getter.get(carrier, TRACEPARENT));
    if (!parent) return ctx;
    const match = PARENT.exec(parent.trim());
    // Version ff is invalid; version 00 has nothing after the flags.
    if (!match || match[1] === 'ff' || (match[1] === '00' && match[5])) return ctx;
    const sc = { traceId: match[2]!, spanId: match[3]!, traceFlags: parseInt(match[4]!, 16), isRemote: true, traceState: undefined as ReturnType<typeof createTraceState> | undefined };
    if (!isSpanContextValid(sc)) return ctx;
    const state = getter.get(carrier, TRACESTATE);
    if (state !== undefined) sc.traceState = createTraceState(Array.isArray(state) ? state.join(',') : state);
    return trace.setSpanContext(ctx, sc);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
