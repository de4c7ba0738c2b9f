/**
 * Exactly-once (Kafka transactions) keeps handlers busy across partitions: with 6 partitions and
 * concurrency 16, one handler per partition runs at once (a partition's transactions commit in
 * order), and no partition waits for another's backlog. Concurrency is counted in the handler,
 * not inferred from time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, type Client } from '@ferry/core';
import { kafka, sleep, topicName, waitFor } from './helpers.ts';

const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 2_000 })));
});

describe('kafka exactly-once concurrency', () => {
  it('runs one handler per partition at once, and every partition makes progress', { timeout: 120_000 }, async () => {
    const PARTITIONS = 6;
    const COUNT = 600;
    const input = topicName('eo-conc-in');
    const output = topicName('eo-conc-out');
    const Input = defineMessage('eo.conc.input', z.object({ n: z.number().int() }), { topic: input });
    const Output = defineMessage('eo.conc.output', z.object({ n: z.number().int() }), { topic: output });
    const client = await createClient(kafka({ partitions: PARTITIONS }));
    clients.push(client);
    const producer = client.producer();
    await Promise.all(Array.from({ length: COUNT }, (_, n) => producer.publish(Input, { n }, { key: `k${n % 60}` })));

    let first = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const handled: number[] = [];
    /** Partition of each finished handler, in finishing order. */
    const finishedPartitions: number[] = [];
    await client
      .consumer({ group: topicName('eo-conc-g'), delivery: 'exactly-once', concurrency: 16 })
      .handle(Input, async (item, ctx) => {
        first ||= Date.now();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await sleep(50);
          await ctx.publish(Output, { n: item.n }, { key: `k${item.n}` });
        } finally {
          inFlight--;
        }
        handled.push(item.n);
        finishedPartitions.push(Number(ctx.coordinates['partition']));
      })
      .start();
    await waitFor(() => new Set(handled).size >= COUNT, 100_000, () => `${COUNT} handled (${new Set(handled).size}, max in flight ${maxInFlight})`);

    const seconds = (Date.now() - first) / 1000;
    // A figure for the report (docs/performance.md), not an assertion: timing is noisy here.
    console.log(`exactly-once, ${PARTITIONS} partitions, concurrency 16, 50 ms handler: ${COUNT} in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(1)} msg/s), max ${maxInFlight} handlers at once`);
    expect(maxInFlight).toBeGreaterThanOrEqual(PARTITIONS);
    // Each partition has progressed well by the time the first one is done with its messages.
    const totals = new Map<number, number>();
    for (const p of finishedPartitions) totals.set(p, (totals.get(p) ?? 0) + 1);
    expect(totals.size).toBe(PARTITIONS);
    const seen = new Map<number, number>();
    let firstDone = -1;
    for (const [i, p] of finishedPartitions.entries()) {
      seen.set(p, (seen.get(p) ?? 0) + 1);
      if (seen.get(p) === totals.get(p)) {
        firstDone = i;
        break;
      }
    }
    const progress = Object.fromEntries([...totals].map(([p, total]) => [p, (seen.get(p) ?? 0) / total]));
    for (const share of Object.values(progress)) expect(share, JSON.stringify(progress)).toBeGreaterThanOrEqual(0.25);
    expect(firstDone).toBeGreaterThan(0);
  });
});
