/**
 * A consume-transform-produce process for exactly-once.test.ts: reads `input`, publishes one
 * output per input inside the delivery's Kafka transaction, and (with crashAt) kills itself with
 * SIGKILL right after producing the output for that input, before the transaction commits.
 * Usage: tsx eo-child.ts <input> <output> <group> <crashAt|-1>
 */
import { createClient, defineMessage } from '@ferry/core';
import { z } from 'zod';
import { kafka } from './helpers.ts';

const [input, output, group, crashAtArg] = process.argv.slice(2) as [string, string, string, string];
const crashAt = Number(crashAtArg);
const Input = defineMessage('eo.input', z.object({ n: z.number().int() }), { topic: input });
const Output = defineMessage('eo.output', z.object({ n: z.number().int(), pid: z.number().int() }), { topic: output });

const client = await createClient(kafka({ partitions: 2 }));
const consumer = client
  .consumer({ group, delivery: 'exactly-once', concurrency: 4, retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 100 } })
  .handle(Input, async (item, ctx) => {
    await ctx.publish(Output, { n: item.n, pid: process.pid }, { key: `k${item.n}` });
    if (item.n === crashAt) process.kill(process.pid, 'SIGKILL'); // produced, not committed
  });
await consumer.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void client.close({ timeoutMs: 2_000 }).finally(() => process.exit(0));
});
