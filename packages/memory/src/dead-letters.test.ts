// Reading, redriving by filter and purging a dead-letter topic through core, on this transport.
import { defineMessage, FerryError, HEADERS, NonRetryableError, type Client } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker, until, clientsClosedAfterEach } from './test-support.ts';

const client = clientsClosedAfterEach();

const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic: 'orders' });
const Invoice = defineMessage('invoice.sent', z.object({ n: z.number() }), { topic: 'orders' });

/** Five dead letters in orders.dlq: 2 handler (order.placed), 1 non-retryable (invoice.sent), 1 schema, 1 undecodable. */
async function seed(broker: string): Promise<Client> {
  const worker = await client(broker);
  let failed = 0;
  const consumer = worker.consumer({ group: 'workers', retry: { attempts: 1 } });
  consumer.handle(Order, async () => {
    failed++;
    throw new Error('out of stock');
  });
  consumer.handle(Invoice, async () => {
    failed++;
    throw new NonRetryableError('printer on fire');
  });
  await consumer.start();
  const producer = worker.producer();
  await producer.publish(Order, { n: 1 });
  await producer.publish(Order, { n: 2 });
  await producer.publish(Invoice, { n: 3 });
  const raw = new MemoryTransport({ broker });
  const base = { topic: 'orders', type: Order.type, headers: { [HEADERS.contentType]: 'application/json' }, timestamp: Date.now() };
  await raw.send([{ ...base, id: 'schema-1', payload: new TextEncoder().encode('{"n":"x"}') }]);
  await raw.send([{ ...base, id: 'bytes-1', payload: Uint8Array.of(0x7b, 0xff, 0xfe) }]);
  const reader = await client(broker);
  await until(() => failed === 3);
  for (let tries = 0; (await reader.inspectDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 20 })).deadLetters.length < 5; tries++) {
    if (tries > 100) throw new Error('five dead letters in orders.dlq');
  }
  await consumer.close();
  return reader;
}

describe('dead letters on the memory transport', () => {
  it('an unknown dead-letter topic is FERRY_NOT_FOUND for inspect, redrive and purge, and is not created', async () => {
    const broker = freshBroker();
    const c = await client(broker);
    for (const run of [
      () => c.inspectDeadLetters({ deadLetterTopic: 'nope.dlq', idleMs: 20 }),
      () => c.redrive({ deadLetterTopic: 'nope.dlq', idleMs: 20 }),
      () => c.purgeDeadLetters({ deadLetterTopic: 'nope.dlq', idleMs: 20 }),
    ]) {
      const error = await run().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(FerryError);
      expect((error as FerryError).code).toBe('FERRY_NOT_FOUND');
      expect((error as FerryError).message).toContain('nope.dlq');
    }
    expect(await new MemoryTransport({ broker }).hasGroup('nope.dlq')).toBe(false);
  });

  it('inspect reads every dead letter with reason, kind, issues and raw bytes, and consumes none', async () => {
    const reader = await seed(freshBroker());
    const first = await reader.inspectDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 });
    const again = await reader.inspectDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 });
    expect(again.deadLetters.map((d) => d.id).sort()).toEqual(first.deadLetters.map((d) => d.id).sort());
    const byKind = first.deadLetters.map((d) => d.kind).sort();
    expect(byKind).toEqual(['decode', 'handler', 'handler', 'handler', 'schema']);
    const schema = first.deadLetters.find((d) => d.id === 'schema-1')!;
    expect(Array.isArray(schema.issues)).toBe(true);
    expect(schema.originalTopic).toBe('orders');
    const bytes = first.deadLetters.find((d) => d.id === 'bytes-1')!;
    expect([...bytes.payload]).toEqual([0x7b, 0xff, 0xfe]);
    const handler = first.deadLetters.find((d) => d.kind === 'handler')!;
    expect(handler.reason).toBe('out of stock');
    expect(handler.stack).toContain('out of stock');
    expect(handler.deadLetteredAt).toBeGreaterThan(0);
  });

  it('redrive by reason and type moves only those; dry run and an age filter change nothing; purge empties', async () => {
    const broker = freshBroker();
    const reader = await seed(broker);
    const ids = async () => (await reader.inspectDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 })).deadLetters.map((d) => d.id).sort();
    const all = await ids();

    expect(await reader.redrive({ deadLetterTopic: 'orders.dlq', idleMs: 50, select: { reason: 'stock' }, dryRun: true })).toEqual({ redriven: 2, skipped: 3 });
    expect(await reader.redrive({ deadLetterTopic: 'orders.dlq', idleMs: 50, select: { olderThanMs: 3_600_000 } })).toEqual({ redriven: 0, skipped: 5 });
    expect(await ids()).toEqual(all);

    const seen: string[] = [];
    const back = (await client(broker)).consumer({ group: 'workers' }).handle(Order, async (_o, ctx) => void seen.push(ctx.envelope.id));
    expect(await reader.redrive({ deadLetterTopic: 'orders.dlq', idleMs: 50, select: { reason: 'stock', type: 'order.placed' } })).toEqual({ redriven: 2, skipped: 3 });
    await back.start();
    await until(() => seen.length === 2);
    expect((await ids()).length).toBe(3);

    expect(await reader.purgeDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50, select: { reason: 'decode' } })).toEqual({ purged: 1, skipped: 2 });
    expect((await ids())).not.toContain('bytes-1');
    expect(await reader.purgeDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 })).toEqual({ purged: 2, skipped: 0 });
    expect(await ids()).toEqual([]);
  });

  it('a dead letter written twice (at-least-once) is one for inspect, and purge and redrive settle both copies', async () => {
    const broker = freshBroker();
    const reader = await seed(broker);
    const raw = new MemoryTransport({ broker });
    const twice = (id: string) => ({
      id,
      type: Order.type,
      topic: 'orders.dlq',
      headers: {
        [HEADERS.contentType]: 'application/json',
        [HEADERS.deadLetterAt]: new Date(Date.now() - 60_000).toISOString(),
        [HEADERS.deadLetterKind]: 'handler',
        [HEADERS.deadLetterReason]: 'written twice',
        [HEADERS.originalTopic]: 'orders',
      },
      payload: new TextEncoder().encode('{"n":9}'),
      timestamp: Date.now(),
    });
    // The same envelope sent twice, as a producer's resend writes it (built once: two builds a
    // millisecond apart would carry two dead-letter times, two different dead letters).
    const redriven = twice('dup-redrive');
    const purged = twice('dup-purge');
    await raw.send([redriven, redriven, purged, purged]);
    const ids = async () => (await reader.inspectDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 })).deadLetters.map((d) => d.id).sort();
    expect((await ids()).filter((id) => id.startsWith('dup-'))).toEqual(['dup-purge', 'dup-redrive']);

    const seen: string[] = [];
    const back = (await client(broker)).consumer({ group: 'workers' }).handle(Order, async (_o, ctx) => void seen.push(ctx.envelope.id));
    await back.start();
    expect(await reader.redrive({ deadLetterTopic: 'orders.dlq', idleMs: 50, select: { reason: 'twice' }, filter: (d) => d.envelope.id === 'dup-redrive' })).toEqual({ redriven: 1, skipped: 6 });
    await until(() => seen.includes('dup-redrive'));
    expect(await ids()).not.toContain('dup-redrive');
    expect(await reader.purgeDeadLetters({ deadLetterTopic: 'orders.dlq', idleMs: 50 })).toEqual({ purged: 6, skipped: 0 });
    expect(await ids()).toEqual([]);
  });

  it('a redrive ends though its messages fail again: what is dead-lettered during it is left for the next run', async () => {
    const broker = freshBroker();
    const reader = await seed(broker);
    const failing = (await client(broker)).consumer({ group: 'workers', retry: { attempts: 1 } }).handle(Order, async () => {
      throw new Error('out of stock');
    });
    await failing.start();
    expect(await reader.redrive({ deadLetterTopic: 'orders.dlq', idleMs: 100, select: { type: 'order.placed', reason: 'stock' } })).toEqual({ redriven: 2, skipped: 3 });
  });
});
