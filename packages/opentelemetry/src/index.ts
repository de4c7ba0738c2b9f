export { instrument } from './instrument.ts';
export type { InstrumentOptions } from './telemetry.ts';
export type { ProcessOutcome } from './metrics.ts';
export { W3CTraceContext } from './w3c-propagator.ts';
export * from './semconv.ts';
