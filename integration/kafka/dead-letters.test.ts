/**
 * Dead letters on a log: a dead letter written twice (producers write at least once) is listed
 * once, and a redrive or purge that settles it settles both copies, while what it leaves is
 * appended again (Kafka's offsets commit in order, so nothing is held back behind a copy).
 */
import { createClient, HEADERS, type Client } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { kafka, topicName } from './helpers.ts';

const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 }))));

const IDLE_MS = 4000;

describe('kafka: dead letters written twice', () => {
  it('are listed once; a redrive and a purge settle every copy of what they take', async () => {
    const topic = topicName('dl-twice');
    const dlq = `${topic}.dlq`;
    const transport = kafka({ partitions: 1 });
    const client = await createClient(transport);
    clients.push(client);
    const deadLetter = (id: string, reason: string) => ({
      id,
      type: 'order.placed',
      topic: dlq,
      key: id,
      headers: {
        [HEADERS.contentType]: 'application/json',
        [HEADERS.deadLetterAt]: new Date(Date.now() - 60_000).toISOString(),
        [HEADERS.deadLetterKind]: 'handler',
        [HEADERS.deadLetterReason]: reason,
        [HEADERS.originalTopic]: topic,
      },
      payload: new TextEncoder().encode(`{"id":"${id}"}`),
      timestamp: Date.now(),
    });
    const stock = deadLetter('out-of-stock', 'out of stock');
    const fire = deadLetter('on-fire', 'printer on fire');
    // The same dead letter twice each, as a producer's resend writes it.
    await transport.send([stock, stock, fire, fire]);
    const listed = async () => (await client.inspectDeadLetters({ deadLetterTopic: dlq, idleMs: IDLE_MS })).deadLetters.map((d) => d.id).sort();

    expect(await listed()).toEqual(['on-fire', 'out-of-stock']);
    expect(await client.redrive({ deadLetterTopic: dlq, idleMs: IDLE_MS, select: { reason: 'stock' } })).toEqual({ redriven: 1, skipped: 1 });
    expect(await listed()).toEqual(['on-fire']);
    expect(await client.purgeDeadLetters({ deadLetterTopic: dlq, idleMs: IDLE_MS })).toEqual({ purged: 1, skipped: 0 });
    expect(await listed()).toEqual([]);
  }, 120_000);
});
