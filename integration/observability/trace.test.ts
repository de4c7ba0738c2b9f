/**
 * @ferry/opentelemetry on each broker, through createClient(url), with the SDK's in-memory span
 * exporter and metric reader: one message's trace from publish through a failed attempt, its
 * retry, the dead letter, the redrive and the final handling, and metric counts that match what
 * was sent.
 */
import { createClient, defineMessage, type Client } from '@ferry/core';
import { instrument } from '@ferry/opentelemetry';
import { renderTrace, TestTelemetry } from '@ferry/opentelemetry/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BROKERS, runPrefix, waitFor } from './brokers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe.each(BROKERS)('OpenTelemetry on $name', (broker) => {
  it('one trace: publish → failed attempt → retry → dead letter → redrive → handled; metrics count what was sent', async () => {
    const prefix = runPrefix(broker);
    const topic = `${prefix}-orders`;
    const telemetry = new TestTelemetry();
    const client: Client = instrument(await createClient(broker.url, { transport: broker.transport }), { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider });
    cleanups.push(async () => {
      await client.close();
      await telemetry.shutdown();
      await broker.cleanup(prefix);
    });
    const Order = defineMessage('order.placed', z.object({ n: z.number(), poison: z.boolean() }), { topic });
    let fixed = false;
    const handled: Array<{ n: number; traceparent: string | undefined }> = [];
    await client
      .consumer({ group: `${prefix}-billing`, retry: { attempts: 2, initialDelayMs: 200, maxDelayMs: 200, jitter: 0 } })
      .handle(Order, (order, ctx) => {
        if (order.poison && !fixed) throw new Error('card declined');
        handled.push({ n: order.n, traceparent: ctx.envelope.headers.traceparent });
      })
      .start();
    const producer = client.producer();
    const poisonId = await producer.publish(Order, { n: 0, poison: true }, { key: 'k0' });
    await producer.publishBatch([1, 2, 3].map((n) => ({ message: Order, payload: { n, poison: false }, options: { key: `k${n}` } })));
    await producer.publish(Order, { n: 4, poison: false }, { key: 'k4' });

    const attemptsOf = () => telemetry.spans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === poisonId);
    await waitFor(() => attemptsOf().length === 2 && handled.length === 4, 60_000, () => `2 failed attempts (${attemptsOf().length}) and 4 handled (${handled.length})`);
    fixed = true;
    expect(await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: broker.redriveIdleMs })).toEqual({ redriven: 1, skipped: 0 });
    await waitFor(() => attemptsOf().length === 3, 60_000, () => `the redriven message handled (${attemptsOf().length} attempts)`);

    const send = telemetry.spans().find((s) => s.name === `send ${topic}` && s.attributes['messaging.message.id'] === poisonId)!;
    const traceId = send.spanContext().traceId;
    const [first, retried, final] = attemptsOf();
    const trace = [send, first!, retried!, final!];
    const text = renderTrace(trace);
    expect(text, text).toBe(
      [
        `#1 send ${topic} PRODUCER`,
        `├─ #2 process ${topic} CONSUMER messaging.consumer.group.name=${prefix}-billing ferry.delivery.attempt=1 ferry.outcome=retried ferry.retry.delay_ms=200 error.type=Error status=ERROR  → creation: #1 send ${topic}`,
        `├─ #3 process ${topic} CONSUMER messaging.consumer.group.name=${prefix}-billing ferry.delivery.attempt=2 ferry.outcome=dead-lettered error.type=Error status=ERROR  → creation: #1 send ${topic}, previous_attempt: #2 process ${topic}`,
        `└─ #4 process ${topic} CONSUMER messaging.consumer.group.name=${prefix}-billing ferry.delivery.attempt=1 ferry.outcome=ok  → creation: #1 send ${topic}, previous_attempt: #3 process ${topic}`,
      ].join('\n'),
    );
    for (const span of trace) {
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.attributes).toMatchObject({ 'messaging.system': broker.system, 'messaging.destination.name': topic, 'messaging.message.id': poisonId });
    }
    expect(send.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.operation.name': 'send', 'ferry.message.type': 'order.placed' });
    expect(first!.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.consumer.group.name': `${prefix}-billing` });
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    if (broker.name === 'kafka') {
      for (const span of [first!, retried!, final!]) expect(span.attributes).toMatchObject({ 'messaging.destination.partition.id': expect.stringMatching(/^\d+$/), 'messaging.kafka.offset': expect.any(Number), 'messaging.kafka.message.key': 'k0' });
    } else {
      expect(first!.attributes['messaging.destination.subscription.name']).toEqual(expect.any(String));
    }
    // The traceparent the final handler saw is the send span's, after the retry copy, the dead letter and the redrive.
    expect(handled.find((h) => h.n === 0)!.traceparent).toBe(`00-${traceId}-${send.spanContext().spanId}-01`);
    // Every message handled carried its own creation context: the batch's create spans, the single publishes' send spans.
    const creations = new Set(telemetry.spans().filter((s) => s.kind === SpanKind.PRODUCER).map((s) => s.spanContext().spanId));
    expect(handled.every((h) => creations.has(h.traceparent!.split('-')[2]!))).toBe(true);

    // Metrics: 5 messages published in 3 send calls; 7 attempts: 5 ok, 1 retried, 1 dead-lettered.
    const where = { 'messaging.system': broker.system, 'messaging.destination.name': topic };
    expect(await telemetry.sum('messaging.client.sent.messages', where)).toBe(5);
    expect(await telemetry.sum('messaging.client.sent.messages', { ...where, 'error.type': 'Error' })).toBe(0);
    expect(await telemetry.count('ferry.publish.batch.size', where)).toBe(3);
    expect(await telemetry.sum('ferry.publish.batch.size', where)).toBe(5);
    const group = { ...where, 'messaging.consumer.group.name': `${prefix}-billing` };
    expect(await telemetry.sum('messaging.client.consumed.messages', { ...group, 'ferry.outcome': 'ok' })).toBe(5);
    expect(await telemetry.sum('messaging.client.consumed.messages', { ...group, 'ferry.outcome': 'retried', 'error.type': 'Error' })).toBe(1);
    expect(await telemetry.sum('messaging.client.consumed.messages', { ...group, 'ferry.outcome': 'dead-lettered', 'error.type': 'Error' })).toBe(1);
    expect(await telemetry.count('messaging.process.duration', group)).toBe(7);
    expect(await telemetry.sum('ferry.consumer.in_flight', group)).toBe(0);
  });
});
