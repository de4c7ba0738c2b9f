/**
 * Messages from other AMQP clients without a message-id: under exactly-once they cannot be told
 * apart, so each is dead-lettered with a reason that says what to set (before, every one after the
 * first was acked as a "duplicate" of it for a day, silently); at-least-once handles them all.
 */
import amqp from 'amqplib';
import { createClient, defineMessage, HEADERS, type Client, type Middleware } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { amqpUrl, cleanup, rabbit, topicName, sleep, waitFor } from './helpers.ts';

const clients: Client[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 })));
  await cleanup(...prefixes);
});

/** Publishes like a non-Ferry client: routing key and `type` property, no message-id. */
async function publishForeign(topic: string, payloads: object[]): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  const channel = await connection.createConfirmChannel();
  for (const p of payloads) channel.publish(topic, 'reading', Buffer.from(JSON.stringify(p)), { type: 'reading', contentType: 'application/json', persistent: true });
  await channel.waitForConfirms();
  await connection.close();
}

async function setUp(delivery: 'exactly-once' | 'at-least-once') {
  const topic = topicName(`foreign-${delivery === 'exactly-once' ? 'eo' : 'alo'}`);
  prefixes.push(topic);
  const Reading = defineMessage('reading', z.object({ v: z.number() }), { topic });
  const DeadReading = defineMessage('reading', z.unknown(), { topic: `${topic}.dlq` });
  const client = await createClient(rabbit());
  clients.push(client);
  const handled: number[] = [];
  let duplicates = 0;
  await client.consumer({ group: 'app', delivery, hooks: { onDuplicate: () => void duplicates++ } }).handle(Reading, (r) => void handled.push(r.v)).start();
  const dead: Array<Record<string, string>> = [];
  const capture: Middleware = () => async (ctx) => void dead.push({ ...ctx.envelope.headers });
  await client.consumer({ group: 'ferry-dead-letters', deadLetter: false, middleware: [{ middleware: capture, before: 'decode' }] }).handle(DeadReading, () => undefined).start();
  await publishForeign(topic, [{ v: 1 }, { v: 2 }, { v: 3 }]);
  return { handled, dead, duplicates: () => duplicates };
}

describe('rabbitmq: foreign messages without message-id', () => {
  it('exactly-once dead-letters each of them, naming the message-id property', async () => {
    const { handled, dead, duplicates } = await setUp('exactly-once');
    await waitFor(() => dead.length === 3, 15_000, () => `3 dead letters (${dead.length}; handled ${handled.length}, duplicates ${duplicates()})`);
    expect(handled).toEqual([]);
    expect(duplicates()).toBe(0);
    for (const headers of dead) {
      expect(headers[HEADERS.deadLetterKind]).toBe('no-id');
      expect(headers[HEADERS.deadLetterReason]).toMatch(/has no id.*message-id property/);
    }
  });

  it('at-least-once handles every one of them', async () => {
    const { handled, dead } = await setUp('at-least-once');
    await waitFor(() => handled.length === 3, 15_000, () => `3 handled (${handled.length})`);
    await sleep(200);
    expect(handled.sort()).toEqual([1, 2, 3]);
    expect(dead).toEqual([]);
  });
});
