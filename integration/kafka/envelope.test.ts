/**
 * The envelope forms on the wire (the `envelope` option): whatever form a producer writes —
 * compact (the default), the older headers, CloudEvents binary mode, or a raw kafkajs producer
 * writing the headers older Ferry versions wrote — a consumer with the default options reads it,
 * retries it through its retry topic, dead-letters it and redrives it.
 */
import { createClient, defineMessage, NonRetryableError, type Client } from '@ferry/core';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { brokers, kafka, sleep, topicName, waitFor } from './helpers.ts';

const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 }))));

async function client(options: Record<string, unknown> = {}): Promise<Client> {
  const made = await createClient(kafka(options));
  clients.push(made);
  return made;
}

/** The raw headers of the first `count` records of `topic`, as kafkajs reads them. */
async function rawHeaders(topic: string, count: number): Promise<Array<Record<string, string>>> {
  const consumer = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).consumer({ groupId: topicName('raw-reader'), maxWaitTimeInMs: 100 });
  const seen: Array<Record<string, string>> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))) });
    await waitFor(() => seen.length >= count, 30_000, () => `${count} raw records (${seen.length})`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('kafka: envelope forms', () => {
  it.each(['compact', 'headers', 'cloudevents'] as const)('published with envelope %s: read, retried and dead-lettered then redriven by a default consumer', async (envelope) => {
    const topic = topicName(`env-${envelope}`);
    const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic });
    const producer = await client({ envelope });
    const consumerSide = await client();
    const seen: Array<{ n: number; id: string; attempt: number; headers: Record<string, string> }> = [];
    let poisonOn = true;
    await consumerSide
      .consumer({ group: topicName('env-g'), retry: { attempts: 2, initialDelayMs: 50, jitter: 0 }, hooks: { onError: () => undefined } })
      .handle(Order, (order, ctx) => {
        if (order.n === 1 && ctx.attempt === 1) throw new Error('first attempt fails: retried through the retry topic');
        if (order.n === 2 && poisonOn) throw new NonRetryableError('poison until redriven');
        seen.push({ n: order.n, id: ctx.envelope.id, attempt: ctx.attempt, headers: { ...ctx.envelope.headers } });
      })
      .start();
    for (const n of [0, 1, 2]) await producer.producer().publish(Order, { n }, { id: `${envelope}-${n}`, key: 'k', headers: { tenant: 'acme', uni: 'ünï ✓' } });
    await waitFor(() => seen.length >= 2, 30_000, () => `2 handled (${seen.length})`);
    expect(seen.map((s) => [s.n, s.id, s.attempt])).toEqual([[0, `${envelope}-0`, 1], [1, `${envelope}-1`, 2]]);
    expect(seen[0]!.headers).toEqual({ tenant: 'acme', uni: 'ünï ✓', 'ferry-content-type': 'application/json' });
    expect(seen[1]!.headers).toEqual(seen[0]!.headers);

    poisonOn = false;
    await sleep(300); // the dead letter is written before the poison message's offset is acked
    expect(await consumerSide.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: 2_000 })).toMatchObject({ redriven: 1 });
    await waitFor(() => seen.length >= 3, 30_000, () => `the redriven message handled (${seen.length})`);
    expect(seen[2]).toMatchObject({ n: 2, id: `${envelope}-2` });

    const headerNames = (await rawHeaders(topic, 1))[0]!;
    const wanted = {
      compact: ['ferry-envelope', 'tenant', 'uni'],
      headers: ['ferry-content-type', 'ferry-id', 'ferry-type', 'tenant', 'uni'],
      cloudevents: ['ce_id', 'ce_source', 'ce_specversion', 'ce_time', 'ce_type', 'content-type', 'tenant', 'uni'],
    }[envelope];
    expect(Object.keys(headerNames).sort()).toEqual(wanted);
  });

  it('reads what a raw kafkajs producer writes: the older Ferry headers, a CloudEvent of another producer; a malformed envelope header is dead-lettered and the consumer goes on', async () => {
    const topic = topicName('env-raw');
    const Reading = defineMessage('reading', z.object({ v: z.number() }), { topic });
    const consumerSide = await client();
    const seen: Array<{ v: number; id: string; timestamp: number; headers: Record<string, string> }> = [];
    const deadLettered: string[] = [];
    await consumerSide
      .consumer({ group: topicName('env-raw-g'), hooks: { onDeadLetter: (ctx, error) => void deadLettered.push(`${ctx.envelope.id}: ${(error as Error).message}`) } })
      .handle(Reading, (r, ctx) => void seen.push({ v: r.v, id: ctx.envelope.id, timestamp: ctx.envelope.timestamp, headers: { ...ctx.envelope.headers } }))
      .start();
    const raw = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    const record = (v: number, headers: IHeaders) => ({ partition: 0, value: JSON.stringify({ v }), headers });
    await raw.send({
      topic,
      messages: [
        record(1, { 'ferry-id': 'old-1', 'ferry-type': 'reading', 'ferry-content-type': 'application/json', origin: 'v0.9' }),
        record(2, { 'ferry-envelope': '1,99,7,-;too short', origin: 'broken' }),
        record(3, { ce_specversion: '1.0', ce_id: 'evt-3', ce_type: 'reading', ce_source: '/sensors/7', ce_time: '2026-05-22T14:08:17Z', 'content-type': 'application/json' }),
      ],
    });
    await raw.disconnect();
    await waitFor(() => seen.length >= 2 && deadLettered.length >= 1, 30_000, () => `2 handled and 1 dead-lettered (${seen.length}, ${deadLettered.length})`);
    expect(seen[0]).toMatchObject({ v: 1, id: 'old-1', headers: { 'ferry-content-type': 'application/json', origin: 'v0.9' } });
    expect(seen[1]).toEqual({ v: 3, id: 'evt-3', timestamp: Date.parse('2026-05-22T14:08:17Z'), headers: { 'ferry-content-type': 'application/json', ce_source: '/sensors/7' } });
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]).toMatch(new RegExp(`^${topic}-0-1: Kafka record header \`ferry-envelope\` is not a Ferry envelope`));
  });
});
