import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { createTraceState, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { W3CTraceContext } from './w3c-propagator.ts';

const ours = new W3CTraceContext();
const sdk = new W3CTraceContextPropagator();
const sc = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7') };

describe('W3CTraceContext (the fallback propagator)', () => {
  it("injects what the SDK's W3C propagator injects", () => {
    for (const context of [sc, { ...sc, traceFlags: TraceFlags.NONE, traceState: undefined }]) {
      const a: Record<string, string> = {};
      const b: Record<string, string> = {};
      ours.inject(trace.setSpanContext(ROOT_CONTEXT, context), a, defaultTextMapSetter);
      sdk.inject(trace.setSpanContext(ROOT_CONTEXT, context), b, defaultTextMapSetter);
      expect(a).toEqual(b);
      expect(a.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0[01]$/);
    }
  });

  it('extracts what it injected, and what the SDK extracts from hand-written headers', () => {
    const headers: Record<string, string> = {};
    ours.inject(trace.setSpanContext(ROOT_CONTEXT, sc), headers, defaultTextMapSetter);
    const back = trace.getSpanContext(ours.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))!;
    expect({ ...back, traceState: back.traceState?.serialize() }).toEqual({ ...sc, isRemote: true, traceState: sc.traceState.serialize() });
    for (const traceparent of ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-00000000000000000000000000000000-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra', 'garbage']) {
      const carrier = { traceparent };
      expect(trace.getSpanContext(ours.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter))?.spanId, traceparent).toBe(trace.getSpanContext(sdk.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter))?.spanId);
    }
  });
});
