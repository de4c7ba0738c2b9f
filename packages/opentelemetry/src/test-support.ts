// Helpers for this package's unit tests (not exported).
import { createClient, type Client, type Transport } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { afterEach } from 'vitest';
import { instrument } from './instrument.ts';
import type { InstrumentOptions } from './telemetry.ts';
import { TestTelemetry } from './testing/index.ts';

const clients: Client[] = [];
const telemetries: TestTelemetry[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(telemetries.splice(0).map((t) => t.shutdown()));
});

let brokers = 0;
/** A memory transport of its own per test. */
export function freshTransport(): MemoryTransport {
  return new MemoryTransport({ broker: `otel-${process.pid}-${++brokers}` });
}

/** An instrumented client on its own memory broker, with the SDK in memory; closed after the test. */
export async function instrumented(options: { sampler?: Sampler; transport?: Transport; instrument?: InstrumentOptions } = {}) {
  const telemetry = new TestTelemetry({ sampler: options.sampler });
  telemetries.push(telemetry);
  const client = await plainClient(options.transport);
  instrument(client, { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider, ...options.instrument });
  return { client, telemetry };
}

/** A client without instrumentation, closed after the test. */
export async function plainClient(transport: Transport = freshTransport()): Promise<Client> {
  const client = await createClient(transport);
  clients.push(client);
  return client;
}

export async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
