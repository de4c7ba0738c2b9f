import type { TextMapPropagator } from '@opentelemetry/api';

/**
 * Whether `headers` carry any of the propagator's fields: the cheap test before an extract (most
 * messages carry a trace context once producers are instrumented; many still do not).
 */
export function carriesContext(fields: readonly string[], headers: Readonly<Record<string, string>>): boolean {
  for (let i = 0; i < fields.length; i++) if (headers[fields[i]!] !== undefined) return true;
  return false;
}

/** The propagator's header names, asked once. */
export function contextFields(propagator: TextMapPropagator): readonly string[] {
  return [...propagator.fields()];
}
