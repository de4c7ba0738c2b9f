import { isTracingSuppressed as sdkSuppressed, W3CTraceContextPropagator } from '@opentelemetry/core';
import { context, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ambientContext, suppressedScope, suppressTracing } from './suppress.ts';
import { registerContextManager } from './testing/index.ts';

describe('suppression without the SDK package', () => {
  it("is the SDK's own: its check sees it, its tracer records nothing and its propagator injects nothing under it", () => {
    const suppressed = suppressTracing(ROOT_CONTEXT);
    expect(sdkSuppressed(suppressed)).toBe(true);
    expect(sdkSuppressed(ROOT_CONTEXT)).toBe(false);
    const tracer = new BasicTracerProvider().getTracer('t');
    const span = tracer.startSpan('under ferry', {}, suppressed);
    expect(span.isRecording()).toBe(false);
    const live = tracer.startSpan('outside');
    const headers: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(suppressTracing(trace.setSpan(ROOT_CONTEXT, live)), headers, defaultTextMapSetter);
    expect(headers).toEqual({});
  });

  it('keeps the context from before the scope as the ambient one', () => {
    registerContextManager();
    const outer = trace.setSpan(ROOT_CONTEXT, new BasicTracerProvider().getTracer('t').startSpan('client library span'));
    context.with(outer, () =>
      suppressedScope(() => {
        expect(sdkSuppressed(context.active())).toBe(true);
        expect(ambientContext()).toBe(outer);
      }),
    );
    expect(ambientContext()).toBe(context.active()); // outside any scope: the active one
  });
});
