/**
 * Preloaded with `node --import tsx --import ./auto-preload.ts` (what an application does with its
 * OpenTelemetry setup): the SDK, the W3C propagator, and the kafkajs, amqplib and AWS SDK
 * auto-instrumentations, registered before any client module is loaded. Ferry's adapters are ES
 * modules that `import` their client libraries. amqplib and the AWS SDK are patched through their
 * internal CommonJS requires (require-in-the-middle) either way; kafkajs is patched as the module
 * `kafkajs` itself, which an ES `import` loads without `require`: without the import-in-the-middle
 * loader hook registered here (`module.register`) it stays unpatched, silently (tried: no kafkajs
 * span at all). The spans stay in memory; auto-child.ts prints them.
 */
import { register } from 'node:module';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { TestTelemetry } from '@ferry/opentelemetry/testing';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

export const telemetry = new TestTelemetry();
trace.setGlobalTracerProvider(telemetry.tracerProvider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
registerInstrumentations({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
  instrumentations: [new KafkaJsInstrumentation(), new AmqplibInstrumentation(), new AwsInstrumentation()],
});
(globalThis as { ferryTestTelemetry?: TestTelemetry }).ferryTestTelemetry = telemetry;
