/**
 * One consumer process of a fault run: handles fault.item messages and writes `H <id>` for each
 * effect, synchronously, before the handler returns (so the line exists before the ack does).
 * The parent SIGKILLs it at random moments and starts it again.
 */
import { writeSync } from 'node:fs';
import { createClient } from '@ferry/core';
import { childConfig, faultMessage, LINE } from './plan.ts';

const config = childConfig();
const Item = faultMessage(config.topic);
const client = await createClient(config.url, { transport: config.transport });
let lastError = 0;
const consumer = client
  .consumer({
    group: config.group,
    delivery: config.mode,
    concurrency: config.concurrency,
    retry: { attempts: 20, initialDelayMs: 50, maxDelayMs: 1_000 },
    hooks: {
      // One line per second at most: broker outages make many.
      onError: (error) => {
        if (Date.now() - lastError < 1000) return;
        lastError = Date.now();
        process.stderr.write(`consumer ${process.pid}: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    },
  })
  .handle(Item, (_item, ctx) => {
    writeSync(1, `${LINE.handled} ${ctx.envelope.id}\n`);
  });
await consumer.start();
writeSync(1, `${LINE.ready}\n`);
process.on('SIGTERM', () => void client.close({ timeoutMs: 2_000 }).finally(() => process.exit(0)));
