import type { OutgoingMessage, PublishMiddleware, SendFn } from '@ferry/core';
import { context, defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, ROOT_CONTEXT, SpanKind, trace, type Context, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { batchAttributes, errorType, messageAttributes, recordFailure } from './attributes.ts';
import { carriesContext } from './carrier.ts';
import { invoke } from './invoke.ts';
import { sameTopic } from './metrics.ts';
import { ATTR_FERRY_LINK_TYPE } from './semconv.ts';
import { suppressTracing } from './suppress.ts';
import type { Telemetry } from './telemetry.ts';

const CREATION_LINK = { [ATTR_FERRY_LINK_TYPE]: 'creation' };

/**
 * The publish side: a `send` span per send call, its context injected into each message's headers
 * (W3C traceparent/tracestate), so every transport carries it. A message that arrives with a
 * trace context of its own (a bridge, an application that set one) keeps it: the `send` span links
 * to it instead. `publishBatch` of several messages gets a `create` span per message (see
 * InstrumentOptions.createSpans). The transport call runs with the client libraries' tracing
 * suppressed (InstrumentOptions.suppressClientInstrumentation).
 */
export function publishMiddleware(t: Telemetry): PublishMiddleware {
  return (next) => (messages) => {
    const tracer = t.tracer();
    if (tracer === undefined) return t.metricsOn ? measured(t, next, messages) : next(messages);
    return messages.length > 1 && t.createSpans ? sendBatch(t, tracer, next, messages) : send(t, tracer, next, messages);
  };
}

/** No tracer (the API alone): only the metrics. */
function measured(t: Telemetry, next: SendFn, messages: readonly OutgoingMessage[]): Promise<void> {
  const started = performance.now();
  return invoke(next, messages).then(
    () => t.metrics.sent(messages, (performance.now() - started) / 1000, undefined),
    (error: unknown) => {
      t.metrics.sent(messages, (performance.now() - started) / 1000, errorType(error));
      throw error;
    },
  );
}

/** One span for the send call; its context goes in every message without one. */
function send(t: Telemetry, tracer: Tracer, next: SendFn, messages: readonly OutgoingMessage[]): Promise<void> {
  const active = context.active();
  const single = messages.length === 1 ? messages[0]! : undefined;
  const topic = single ? single.topic : sameTopic(messages);
  let links: Link[] | undefined;
  for (const m of messages) {
    const own = creationContext(t, m);
    if (own) (links ??= []).push({ context: own, attributes: CREATION_LINK });
  }
  const span = tracer.startSpan(
    topic === undefined ? 'send' : `send ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: single ? messageAttributes(t.system, single, 'send') : batchAttributes(t.system, topic, messages.length), links },
    active,
  );
  const spanContext = trace.setSpan(active, span);
  let out = messages;
  if (isSpanContextValid(span.spanContext())) {
    out = messages.map((m) => (links !== undefined && creationContext(t, m) ? m : inject(t, spanContext, m)));
  }
  return run(t, span, spanContext, next, out);
}

/** A `create` span per message (its context in that message), one `send` span (CLIENT) linking to them. */
function sendBatch(t: Telemetry, tracer: Tracer, next: SendFn, messages: readonly OutgoingMessage[]): Promise<void> {
  const active = context.active();
  const out: OutgoingMessage[] = [];
  const links: Link[] = [];
  for (const m of messages) {
    const own = creationContext(t, m);
    if (own) {
      links.push({ context: own, attributes: CREATION_LINK });
      out.push(m);
      continue;
    }
    const create = tracer.startSpan(`create ${m.topic}`, { kind: SpanKind.PRODUCER, attributes: messageAttributes(t.system, m, 'create') }, active);
    const created = create.spanContext();
    if (isSpanContextValid(created)) {
      out.push(inject(t, trace.setSpan(active, create), m));
      links.push({ context: created, attributes: CREATION_LINK });
    } else {
      out.push(m);
    }
    create.end();
  }
  const topic = sameTopic(messages);
  const span = tracer.startSpan(topic === undefined ? 'send' : `send ${topic}`, { kind: SpanKind.CLIENT, attributes: batchAttributes(t.system, topic, messages.length), links }, active);
  return run(t, span, trace.setSpan(active, span), next, out);
}

/** Sends on inside the span (client libraries suppressed), then ends it and records the metrics. */
function run(t: Telemetry, span: Span, spanContext: Context, next: SendFn, out: readonly OutgoingMessage[]): Promise<void> {
  const started = performance.now();
  return invoke((messages: readonly OutgoingMessage[]) => context.with(t.suppress ? suppressTracing(spanContext) : spanContext, next, undefined, messages), out).then(
    () => {
      span.end();
      if (t.metricsOn) t.metrics.sent(out, (performance.now() - started) / 1000, undefined);
    },
    (error: unknown) => {
      const type = errorType(error);
      if (span.isRecording()) recordFailure(span, error, type);
      span.end();
      if (t.metricsOn) t.metrics.sent(out, (performance.now() - started) / 1000, type);
      throw error;
    },
  );
}

/** The trace context a message already carries (a custom creation context), if any. */
function creationContext(t: Telemetry, m: OutgoingMessage): SpanContext | undefined {
  if (!carriesContext(t.fields, m.headers)) return undefined;
  const sc = trace.getSpanContext(t.propagator.extract(ROOT_CONTEXT, m.headers, defaultTextMapGetter));
  return sc && isSpanContextValid(sc) ? sc : undefined;
}

function inject(t: Telemetry, ctx: Context, m: OutgoingMessage): OutgoingMessage {
  const headers: Record<string, string> = { ...m.headers };
  t.propagator.inject(ctx, headers, defaultTextMapSetter);
  return { ...m, headers };
}
