/**
 * One broker's run with the client libraries' auto-instrumentations on (see auto-preload.ts):
 * Ferry publishes a message that fails, is retried, dead-lettered, redriven and handled; a raw
 * client send beside it shows the instrumentation patched the library. Prints the spans as JSON.
 * Usage: node --import tsx --import ./auto-preload.ts auto-child.ts <kafka|rabbitmq|sqs> [unsuppressed]
 * (`unsuppressed`: instrument with suppressClientInstrumentation false, to show what it prevents).
 */
import { createClient, defineMessage } from '@ferry/core';
import { instrument } from '@ferry/opentelemetry';
import type { TestTelemetry } from '@ferry/opentelemetry/testing';
import { SpanKind } from '@opentelemetry/api';
import { z } from 'zod';
import { BROKERS, runPrefix, waitFor } from './brokers.ts';
import { rawSend } from './raw-send.ts';

const broker = BROKERS.find((b) => b.name === process.argv[2])!;
const telemetry = (globalThis as { ferryTestTelemetry?: TestTelemetry }).ferryTestTelemetry!;
const prefix = runPrefix(broker);
const topic = `${prefix}-orders`;
const client = instrument(await createClient(broker.url, { transport: broker.transport }), { suppressClientInstrumentation: process.argv[3] !== 'unsuppressed' });
const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic });
let fixed = false;
const seen: Array<{ attempt: number; traceparent: string | undefined }> = [];
try {
  await client
    .consumer({ group: `${prefix}-billing`, retry: { attempts: 2, initialDelayMs: 200, maxDelayMs: 200, jitter: 0 } })
    .handle(Order, (_order, ctx) => {
      seen.push({ attempt: ctx.attempt, traceparent: ctx.envelope.headers.traceparent });
      if (!fixed) throw new Error('card declined');
    })
    .start();
  const id = await client.producer().publish(Order, { n: 1 }, { key: 'k1' });
  await waitFor(() => seen.length === 2, 60_000, () => `2 failed attempts (${seen.length})`);
  fixed = true;
  const redriven = await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: broker.redriveIdleMs });
  await waitFor(() => seen.length === 3, 60_000, () => `the redriven handling (${seen.length})`);
  const wire = await rawSend(broker, `${prefix}-raw`);
  // Some client-library spans end only when their channel or consumer closes (amqplib's consume spans).
  await client.close();
  const spans = telemetry.spans().map((s) => ({
    name: s.name,
    kind: SpanKind[s.kind],
    scope: s.instrumentationScope.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    attributes: s.attributes,
    links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, type: l.attributes?.['ferry.link.type'] })),
  }));
  process.stdout.write(`${JSON.stringify({ id, topic, redriven, seen, wire, spans })}\n`);
} finally {
  await client.close();
  await broker.cleanup(prefix);
}
