import { defineMessage, type OutgoingMessage } from '@ferry/core';
import { context, SpanKind, type Context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshTransport, instrumented, until } from './test-support.ts';

const Order = defineMessage('order', z.object({ id: z.string() }), { topic: 'orders' });
const Invoice = defineMessage('invoice', z.object({ id: z.string() }), { topic: 'invoices' });

describe('the consume side', () => {
  it("a handler's ctx.publish is a child of its process span; the handler is not suppressed, the settlement is", async () => {
    const transport = freshTransport();
    const sends: Array<{ topic: string; suppressed: boolean }> = [];
    const send = transport.send.bind(transport);
    transport.send = (messages: readonly OutgoingMessage[]) => {
      sends.push({ topic: messages[0]!.topic, suppressed: isTracingSuppressed(context.active()) });
      return send(messages);
    };
    const { client, telemetry } = await instrumented({ transport });
    const inHandler: boolean[] = [];
    await client
      .consumer({ group: 'billing' })
      .handle(Order, async (order, ctx) => {
        inHandler.push(isTracingSuppressed(context.active()));
        await ctx.publish(Invoice, { id: order.id });
      })
      .start();
    await client.consumer({ group: 'archive', retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 5 } }).handle(Invoice, () => { throw new Error('bad invoice'); }).start();
    await client.producer().publish(Order, { id: 'o-1' });
    await until(() => telemetry.spans().filter((s) => s.name === 'process invoices').length === 3);
    await until(() => sends.some((s) => s.topic === 'invoices.dlq'));
    expect(inHandler).toEqual([false]);
    expect(sends.every((s) => s.suppressed)).toBe(true); // publishes, and the dead-letter copy
    const spans = telemetry.spans();
    const processOrder = spans.find((s) => s.name === 'process orders')!;
    const sendInvoice = spans.find((s) => s.name === 'send invoices')!;
    expect(sendInvoice.parentSpanContext?.spanId).toBe(processOrder.spanContext().spanId);
    expect(sendInvoice.spanContext().traceId).toBe(processOrder.spanContext().traceId);
    const processInvoice = spans.filter((s) => s.name === 'process invoices');
    expect(processInvoice.every((s) => s.parentSpanContext?.spanId === sendInvoice.spanContext().spanId)).toBe(true);
    expect(processInvoice.at(-1)!.attributes['ferry.outcome']).toBe('dead-lettered');
  });

  it('names the error class of an undecodable message (DecodeError) and dead-letters it at once', async () => {
    const transport = freshTransport();
    const { client, telemetry } = await instrumented({ transport });
    await client.consumer({ group: 'g' }).handle(Order, () => undefined).start();
    await transport.send([{ id: 'raw-1', type: 'order', topic: 'orders', headers: { 'ferry-content-type': 'application/json' }, payload: new TextEncoder().encode('{not json'), timestamp: Date.now() }]);
    await until(() => telemetry.spans().length === 1);
    const [span] = telemetry.spans();
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.parentSpanContext).toBeUndefined(); // no creation context: a root span
    expect(span!.links).toEqual([]);
    expect(span!.attributes).toMatchObject({ 'messaging.message.id': 'raw-1', 'ferry.outcome': 'dead-lettered', 'error.type': 'DecodeError' });
  });

  it('counts a duplicate under exactly-once as such, not as an error', async () => {
    const { client, telemetry } = await instrumented();
    let effects = 0;
    await client.consumer({ group: 'g', delivery: 'exactly-once' }).handle(Order, () => void effects++).start();
    const producer = client.producer();
    await producer.publish(Order, { id: 'o-1' }, { id: 'same' });
    await until(() => effects === 1);
    await producer.publish(Order, { id: 'o-1' }, { id: 'same' });
    await until(() => telemetry.spans().filter((s) => s.name === 'process orders').length === 2);
    expect(effects).toBe(1);
    expect(telemetry.spans().filter((s) => s.name === 'process orders').map((s) => s.attributes['ferry.outcome'])).toEqual(['ok', 'duplicate']);
    expect(await telemetry.sum('messaging.client.consumed.messages', { 'ferry.outcome': 'duplicate' })).toBe(1);
    expect(await telemetry.sum('messaging.client.consumed.messages', { 'ferry.outcome': 'ok' })).toBe(1);
  });

  it("processParent 'ambient': the span active at delivery is the parent, the creation context a link", async () => {
    const { client, telemetry } = await instrumented({ instrument: { processParent: 'ambient', suppressClientInstrumentation: false } });
    await client.consumer({ group: 'g' }).handle(Order, () => undefined).start();
    await client.producer().publish(Order, { id: 'o-1' });
    await until(() => telemetry.spans().length === 2);
    const send = telemetry.spans().find((s) => s.name === 'send orders');
    const process = telemetry.spans().find((s) => s.name === 'process orders');
    expect(process!.links).toMatchObject([{ context: { spanId: send!.spanContext().spanId }, attributes: { 'ferry.link.type': 'creation' } }]);
    // On the memory transport the delivery runs in the publisher's context: the send span is the ambient one.
    expect(process!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
  });

  it('a message without a trace context, delivered inside Ferry\'s own suppressed work, still gets a recorded root span', async () => {
    const silent = { inject: () => undefined, extract: (c: Context) => c, fields: () => [] };
    const { client, telemetry } = await instrumented({ instrument: { propagator: silent } });
    const suppressedInHandler: boolean[] = [];
    await client.consumer({ group: 'g' }).handle(Order, () => void suppressedInHandler.push(isTracingSuppressed(context.active()))).start();
    await client.producer().publish(Order, { id: 'o-1' });
    await until(() => telemetry.spans().length === 2);
    const process = telemetry.spans().find((s) => s.name === 'process orders')!;
    expect(process.parentSpanContext).toBeUndefined();
    expect(process.links).toEqual([]);
    expect(suppressedInHandler).toEqual([false]);
  });
});
