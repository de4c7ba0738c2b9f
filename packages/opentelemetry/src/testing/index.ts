// Test support: OpenTelemetry's SDK in memory, and traces as text. Needs the SDK packages
// (@opentelemetry/sdk-trace-base, sdk-metrics, context-async-hooks), which the package itself does not.
export { TestTelemetry, registerContextManager, type MetricPoint } from './sdk.ts';
export { renderTrace } from './render-trace.ts';
