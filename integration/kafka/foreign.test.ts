/**
 * Records from other producers (no ferry-id header) under exactly-once: their id comes from their
 * coordinates, so records at the same offset of two partitions are two messages, not duplicates.
 */
import { createClient, defineMessage, type Client } from '@ferry/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { brokers, kafka, sleep, topicName, waitFor } from './helpers.ts';

const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close({ timeoutMs: 1000 }))));

describe('kafka: foreign records under exactly-once', () => {
  it('records at one offset of two partitions each have their effect (their ids differ by partition)', async () => {
    const topic = topicName('foreign');
    const Reading = defineMessage('reading', z.object({ v: z.number() }), { topic });
    const client = await createClient(kafka({ partitions: 2 }));
    clients.push(client);
    const effects: Array<{ v: number; id: string }> = [];
    let duplicates = 0;
    await client
      .consumer({ group: topicName('foreign-g'), delivery: 'exactly-once', hooks: { onDuplicate: () => void duplicates++ } })
      .handle(Reading, (r, ctx) => void effects.push({ v: r.v, id: ctx.envelope.id }))
      .start();
    const raw = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    // Offset 0 of partition 0 and offset 0 of partition 1, with Ferry's type header but no id.
    await raw.send({ topic, messages: [0, 1].map((partition) => ({ partition, value: JSON.stringify({ v: partition }), headers: { 'ferry-type': 'reading' } })) });
    await raw.disconnect();
    await waitFor(() => effects.length + duplicates >= 2, 30_000, () => `two records handled (${effects.length} effects, ${duplicates} duplicates)`);
    await sleep(300);
    expect(duplicates).toBe(0);
    expect(effects.map((e) => e.v).sort()).toEqual([0, 1]);
    expect(effects.map((e) => e.id).sort()).toEqual([`${topic}-0-0`, `${topic}-1-0`]);
  });
});
