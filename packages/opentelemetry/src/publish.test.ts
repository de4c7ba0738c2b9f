import { defineMessage, MessageTooLargeError } from '@ferry/core';
import { context, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshTransport, instrumented, until } from './test-support.ts';
import { W3CTraceContext } from './w3c-propagator.ts';

const Ping = defineMessage('ping', z.object({ n: z.number() }), { topic: 'pings' });
const Pong = defineMessage('pong', z.object({ n: z.number() }), { topic: 'pongs' });
const w3c = new W3CTraceContext();
const contextOf = (headers: Record<string, string>) => trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));

describe('the publish side', () => {
  it('publishBatch: a create span per message, its context in that message, and one send span linking to them', async () => {
    const { client, telemetry } = await instrumented();
    const seen: Array<Record<string, string>> = [];
    await client.consumer({ group: 'g' }).handle(Ping, (_p, ctx) => void seen.push({ ...ctx.envelope.headers })).start();
    await client.producer().publishBatch([0, 1, 2].map((n) => ({ message: Ping, payload: { n } })));
    await until(() => seen.length === 3);
    const spans = telemetry.spans();
    const creates = spans.filter((s) => s.name === 'create pings');
    const send = spans.find((s) => s.name === 'send pings')!;
    expect(creates.map((s) => s.kind)).toEqual([SpanKind.PRODUCER, SpanKind.PRODUCER, SpanKind.PRODUCER]);
    expect(creates.map((s) => s.attributes['messaging.operation.type'])).toEqual(['create', 'create', 'create']);
    expect(send.kind).toBe(SpanKind.CLIENT);
    expect(send.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.batch.message_count': 3, 'messaging.destination.name': 'pings' });
    expect(send.attributes['messaging.message.id']).toBeUndefined();
    expect(send.links.map((l) => l.context.spanId)).toEqual(creates.map((s) => s.spanContext().spanId));
    expect(seen.map((h) => contextOf(h)!.spanId).sort()).toEqual(creates.map((s) => s.spanContext().spanId).sort());
    expect(await telemetry.sum('messaging.client.sent.messages', { 'messaging.destination.name': 'pings' })).toBe(3);
    expect(await telemetry.points('ferry.publish.batch.size')).toMatchObject([{ value: 3, count: 1 }]);
  });

  it('a batch to several topics: no destination on the send span, one count per topic', async () => {
    const { client, telemetry } = await instrumented({ instrument: { createSpans: false } });
    await client.producer().publishBatch([
      { message: Ping, payload: { n: 1 } },
      { message: Pong, payload: { n: 2 } },
      { message: Pong, payload: { n: 3 } },
    ]);
    const [send] = telemetry.spans();
    expect(send!.name).toBe('send');
    expect(send!.kind).toBe(SpanKind.PRODUCER); // createSpans off: the send span is the creation context
    expect(send!.attributes['messaging.destination.name']).toBeUndefined();
    expect(await telemetry.sum('messaging.client.sent.messages', { 'messaging.destination.name': 'pings' })).toBe(1);
    expect(await telemetry.sum('messaging.client.sent.messages', { 'messaging.destination.name': 'pongs' })).toBe(2);
  });

  it("keeps a context the message already carries (a custom creation context), linking the send span to it", async () => {
    const { client, telemetry } = await instrumented();
    const seen: Array<Record<string, string>> = [];
    await client.consumer({ group: 'g' }).handle(Ping, (_p, ctx) => void seen.push({ ...ctx.envelope.headers })).start();
    const custom = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client.producer().publish(Ping, { n: 1 }, { headers: { traceparent: custom } });
    await until(() => seen.length === 1);
    expect(seen[0]!.traceparent).toBe(custom);
    const send = telemetry.spans().find((s) => s.name === 'send pings')!;
    expect(send.links).toMatchObject([{ context: { spanId: 'b7ad6b7169203331' }, attributes: { 'ferry.link.type': 'creation' } }]);
    const process = telemetry.spans().find((s) => s.name === 'process pings')!;
    expect(process.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('propagates a context the sampler dropped (flags 00), so the consumer follows the decision', async () => {
    const { client, telemetry } = await instrumented({ sampler: new AlwaysOffSampler() });
    const seen: Array<Record<string, string>> = [];
    await client.consumer({ group: 'g' }).handle(Ping, (_p, ctx) => void seen.push({ ...ctx.envelope.headers })).start();
    await client.producer().publish(Ping, { n: 1 });
    await until(() => seen.length === 1);
    expect(contextOf(seen[0]!)?.traceFlags).toBe(TraceFlags.NONE);
    expect(telemetry.spans()).toEqual([]);
    expect(await telemetry.sum('messaging.client.consumed.messages', { 'ferry.outcome': 'ok' })).toBe(1); // metrics do not depend on sampling
  });

  it('records a refused publish on the send span and in the counts, with error.type', async () => {
    const transport = freshTransport();
    const { client, telemetry } = await instrumented({ transport });
    const tooBig = 'x'.repeat(transport.capabilities.maxMessageBytes);
    await expect(client.producer().publish(Ping, { n: 1 }, { headers: { big: tooBig } })).rejects.toThrow(MessageTooLargeError);
    const [send] = telemetry.spans();
    expect(send!.status.code).toBe(SpanStatusCode.ERROR);
    expect(send!.attributes['error.type']).toBe('MessageTooLargeError');
    expect(await telemetry.sum('messaging.client.sent.messages', { 'error.type': 'MessageTooLargeError' })).toBe(1);
  });

  it('sends with the client libraries suppressed, and nothing else', async () => {
    const transport = freshTransport();
    const suppressedAt: boolean[] = [];
    const send = transport.send.bind(transport);
    transport.send = (messages) => {
      suppressedAt.push(isSuppressedNow());
      return send(messages);
    };
    const { client } = await instrumented({ transport });
    await client.producer().publish(Ping, { n: 1 });
    expect(suppressedAt).toEqual([true]);
    expect(isSuppressedNow()).toBe(false);
  });
});

function isSuppressedNow(): boolean {
  return isTracingSuppressed(context.active());
}
