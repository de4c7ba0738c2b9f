import type { HandlerFn, MessageContext, Middleware } from '@ferry/core';
import { context, defaultTextMapGetter, isSpanContextValid, ROOT_CONTEXT, SpanKind, trace, type Link, type Span } from '@opentelemetry/api';
import { errorType, processAttributes, recordFailure, setCoordinates } from './attributes.ts';
import { carriesContext } from './carrier.ts';
import { invoke } from './invoke.ts';
import type { ProcessOutcome, ProcessSets } from './metrics.ts';
import { ATTR_FERRY_LINK_TYPE, ATTR_FERRY_OUTCOME, ATTR_FERRY_RETRY_DELAY } from './semconv.ts';
import { ambientContext, isTracingSuppressed } from './suppress.ts';
import type { Telemetry } from './telemetry.ts';

const CREATION_LINK = { [ATTR_FERRY_LINK_TYPE]: 'creation' };
const AMBIENT_LINK = { [ATTR_FERRY_LINK_TYPE]: 'ambient' };
const PREVIOUS_LINK = { [ATTR_FERRY_LINK_TYPE]: 'previous_attempt' };

/**
 * The consume side, placed outermost (before `deadLetter`): a `process` span (CONSUMER) per
 * attempt, whose parent is the context the message was published with (see
 * InstrumentOptions.processParent), linked to that creation context, to the span the transport
 * handed the message over in (a client instrumentation's), and to the message's previous failed
 * attempt in this process. It sees the final outcome of the attempt (`ferry.outcome`: ok, retried,
 * dead-lettered, duplicate, ignored) and the error of a failed one (`error.type`, status, the
 * exception event); the handler runs with the span active.
 */
export function consumeMiddleware(t: Telemetry): Middleware {
  return (next) => (ctx) => {
    const tracer = t.tracer();
    if (tracer === undefined) return t.metricsOn ? measured(t, next, ctx) : next(ctx);
    const envelope = ctx.envelope;
    // A suppressed context is Ferry's own work (an in-process transport delivers in the publisher's
    // context): neither a parent nor a link, and the handler must not run suppressed.
    const around = ambientContext();
    const ambient = isTracingSuppressed(around) ? ROOT_CONTEXT : around;
    const links: Link[] = [];
    let parent = ambient;
    if (carriesContext(t.fields, envelope.headers)) {
      const creation = t.propagator.extract(ROOT_CONTEXT, envelope.headers, defaultTextMapGetter);
      const sc = trace.getSpanContext(creation);
      if (sc && isSpanContextValid(sc)) {
        links.push({ context: sc, attributes: CREATION_LINK });
        if (t.parentFromCreation) {
          parent = creation;
          const outer = trace.getSpanContext(ambient);
          if (outer && isSpanContextValid(outer) && outer.spanId !== sc.spanId) links.push({ context: outer, attributes: AMBIENT_LINK });
        }
      }
    }
    const previous = t.attempts.take(ctx.group, envelope.id);
    if (previous) links.push({ context: previous, attributes: PREVIOUS_LINK });
    const span = tracer.startSpan(`process ${envelope.topic}`, { kind: SpanKind.CONSUMER, attributes: processAttributes(t.system, ctx), links }, parent);
    if (span.isRecording()) setCoordinates(span, t.system, ctx);
    const sets = t.metricsOn ? t.metrics.started(envelope.topic, ctx.group) : undefined;
    const started = t.metricsOn ? performance.now() : 0;
    const spanContext = trace.setSpan(parent, span);
    return invoke((c: MessageContext) => context.with(spanContext, next, undefined, c), ctx).then(
      () => finish(t, span, ctx, sets, started, undefined, false),
      (error: unknown) => {
        finish(t, span, ctx, sets, started, error, true);
        throw error;
      },
    );
  };
}

/** No tracer (the API alone): only the metrics. */
function measured(t: Telemetry, next: HandlerFn, ctx: MessageContext): Promise<void> {
  const sets = t.metrics.started(ctx.envelope.topic, ctx.group);
  const started = performance.now();
  return invoke(next, ctx).then(
    () => finish(t, undefined, ctx, sets, started, undefined, false),
    (error: unknown) => {
      finish(t, undefined, ctx, sets, started, error, true);
      throw error;
    },
  );
}

/** Records the attempt's outcome on its span (if any) and in the metrics (if on), and ends the span. */
function finish(t: Telemetry, span: Span | undefined, ctx: MessageContext, sets: ProcessSets | undefined, started: number, thrown: unknown, threw: boolean): void {
  const outcome = ctx.outcome;
  let name: ProcessOutcome = 'ok';
  let error: unknown;
  let failed = false;
  if (threw) {
    // Only with dead-lettering off: the loop keeps the message for a later attempt.
    name = 'retried';
    error = thrown;
    failed = true;
  } else if (outcome !== undefined) {
    switch (outcome.kind) {
      case 'retry':
        name = 'retried';
        error = outcome.error;
        failed = true;
        break;
      case 'dead-letter':
        name = 'dead-lettered';
        error = outcome.error;
        failed = true;
        break;
      case 'duplicate':
        name = 'duplicate';
        break;
      case 'ignored':
        name = 'ignored';
        break;
    }
  }
  const type = failed ? errorType(error) : undefined;
  if (span) {
    if (span.isRecording()) {
      span.setAttribute(ATTR_FERRY_OUTCOME, name);
      if (outcome?.kind === 'retry') span.setAttribute(ATTR_FERRY_RETRY_DELAY, outcome.delayMs);
      if (failed) recordFailure(span, error, type);
    }
    if (failed && isSpanContextValid(span.spanContext())) t.attempts.failedAttempt(ctx.group, ctx.envelope.id, span.spanContext());
    span.end();
  }
  if (sets) t.metrics.finished(sets, name, (performance.now() - started) / 1000, type);
}
