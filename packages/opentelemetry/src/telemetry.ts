import { createNoopMeter, metrics, propagation, ProxyTracerProvider, trace, type MeterProvider, type TextMapPropagator, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AttemptLinks } from './attempt-links.ts';
import { messagingSystem } from './attributes.ts';
import { contextFields } from './carrier.ts';
import { FerryMetrics } from './metrics.ts';
import { W3CTraceContext } from './w3c-propagator.ts';

export interface InstrumentOptions {
  /** Default: the global one (`trace.setGlobalTracerProvider`, what NodeSDK registers); read through its proxy, so one registered later is used too. */
  readonly tracerProvider?: TracerProvider;
  /** Default: the global one. The metrics API has no proxy: register the SDK's before `instrument`, or pass it here. */
  readonly meterProvider?: MeterProvider;
  /** Default: the global propagator if one is registered when `instrument` is called, else W3C Trace Context. */
  readonly propagator?: TextMapPropagator;
  /**
   * `publishBatch` with several messages: a `create` span per message (its context goes in that
   * message's headers) and one `send` span linking to them, as the conventions recommend for batch
   * APIs. False: the one `send` span's context goes in every message. Default true.
   */
  readonly createSpans?: boolean;
  /**
   * The parent of each `process` span: `creation` (default), the context the message was published
   * with, so one trace runs from publish through every attempt, dead letter and redrive; a span
   * active when the transport handed the message over (a client instrumentation's) is then a link.
   * `ambient`: that span is the parent, and the creation context a link.
   */
  readonly processParent?: 'creation' | 'ambient';
  /**
   * Run Ferry's own transport work (sends, deliveries, settlement, redrive) with tracing suppressed
   * for the client libraries below it, so their instrumentations (kafkajs, amqplib, the AWS SDK)
   * neither record a second producer span nor replace the trace context in the headers. Default true.
   */
  readonly suppressClientInstrumentation?: boolean;
  /** How many failed attempts (message ids) are remembered for the next attempt's `previous_attempt` link. Default 10,000; 0: none. */
  readonly rememberFailedAttempts?: number;
}

/** Everything the middleware of one instrumented client share. */
export interface Telemetry {
  /** The tracer, or undefined while no SDK is registered (nothing to trace: the middleware step aside). */
  tracer(): Tracer | undefined;
  /** False with the API's no-op meter: no clock is read, nothing recorded. */
  readonly metricsOn: boolean;
  readonly propagator: TextMapPropagator;
  /** The propagator's header names. */
  readonly fields: readonly string[];
  readonly system: string;
  readonly metrics: FerryMetrics;
  readonly attempts: AttemptLinks;
  readonly createSpans: boolean;
  readonly parentFromCreation: boolean;
  readonly suppress: boolean;
}

const SCOPE = '@ferry/opentelemetry';

export function createTelemetry(transport: string, options: InstrumentOptions): Telemetry {
  const system = messagingSystem(transport);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const propagator = options.propagator ?? (propagation.fields().length > 0 ? propagation : new W3CTraceContext());
  return {
    tracer: resolveTracer(options.tracerProvider),
    metricsOn: meter !== createNoopMeter(),
    propagator,
    fields: contextFields(propagator),
    system,
    metrics: new FerryMetrics(meter, system),
    attempts: new AttemptLinks(options.rememberFailedAttempts ?? 10_000),
    createSpans: options.createSpans ?? true,
    parentFromCreation: (options.processParent ?? 'creation') === 'creation',
    suppress: options.suppressClientInstrumentation ?? true,
  };
}

/**
 * The tracer, looked up until there is one: the global provider is a proxy whose delegate (the
 * SDK's provider) may be registered after `instrument`; until then every call answers undefined
 * at the cost of a property read, and Ferry's steps pass messages straight on. (An SDK registered
 * after `trace.disable()` comes with a new proxy, which an instrumented client does not see.)
 */
function resolveTracer(given: TracerProvider | undefined): () => Tracer | undefined {
  const provider = given ?? trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) {
    const tracer = provider.getTracer(SCOPE);
    return () => tracer;
  }
  let tracer: Tracer | undefined;
  return () => (tracer ??= provider.getDelegateTracer(SCOPE));
}
