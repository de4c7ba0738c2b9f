import { FerryError, type Client } from '@ferry/core';
import { consumeMiddleware } from './consume.ts';
import { publishMiddleware } from './publish.ts';
import { suppressedScope } from './suppress.ts';
import { createTelemetry, type InstrumentOptions } from './telemetry.ts';

const instrumented = new WeakSet<Client>();

/**
 * Traces and measures everything `client` publishes and consumes, on any transport:
 *
 *   instrument(await createClient(url));
 *
 * Call it before starting consumers (the consume step is added to consumers started from then
 * on); producers, also those made earlier, use it at once. Without it Ferry adds nothing to its
 * publish and consume paths. Returns the client.
 */
export function instrument(client: Client, options: InstrumentOptions = {}): Client {
  if (instrumented.has(client)) throw new FerryError('FERRY_STATE', 'This client is instrumented already: call instrument(client) once.');
  const t = createTelemetry(client.transport.name, options);
  client.use({
    publish: [{ name: 'opentelemetry', middleware: publishMiddleware(t), before: 'check' }],
    consume: [{ name: 'opentelemetry', middleware: consumeMiddleware(t), before: 'deadLetter' }],
    // Only while there is a tracer: with the API alone there is nothing to suppress.
    transportScope: t.suppress ? (work) => (t.tracer() === undefined ? work() : suppressedScope(work)) : undefined,
  });
  if (t.metricsOn) t.metrics.observeLag(() => client.lag());
  instrumented.add(client);
  return client;
}
