/**
 * One consumer process of a fault run: handles fault.item messages in the run's mode
 * (consumer-modes.ts). It writes `D <id>` for every delivery, before the exactly-once step can
 * drop a copy, and `H <id>` when the handler runs; both synchronously, so a line exists before
 * the ack does. The parent SIGKILLs it at random moments and starts it again.
 */
import { writeSync } from 'node:fs';
import { createClient, type Middleware } from '@ferry/core';
import { modeSetup } from './consumer-modes.ts';
import { childConfig, faultMessage, LINE } from './plan.ts';

const config = childConfig();
const Item = faultMessage(config.topic);
const client = await createClient(config.url, { transport: config.transport });
const mode = modeSetup(config);
const delivered: Middleware = (next) => (ctx) => {
  writeSync(1, `${LINE.delivered} ${ctx.envelope.id}\n`);
  return next(ctx);
};
let lastError = 0;
let handledAt = Date.now();
const consumer = client
  .consumer({
    group: config.group,
    ...mode.options,
    concurrency: config.concurrency,
    // Exactly-once copies wait for a killed holder's lease (EXACTLY_ONCE.leaseMs) before they run.
    retry: { attempts: config.mode === 'at-least-once' ? 20 : 1_000, initialDelayMs: 50, maxDelayMs: config.mode === 'at-least-once' ? 1_000 : 500 },
    middleware: [{ name: 'fault-deliveries', middleware: delivered, before: 'deadLetter' }],
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
    handledAt = Date.now();
    return mode.effect(ctx);
  });
await consumer.start();
writeSync(1, `${LINE.ready}\n`);
// A stall, as this process sees it: deliveries held while none was handled for a while.
setInterval(() => {
  const quiet = Date.now() - handledAt;
  if (consumer.inFlight > 0 && quiet >= 10_000) {
    const subscriptions = consumer.health().subscriptions.map((h) => h.state).join(',');
    process.stderr.write(`consumer ${process.pid}: ${consumer.inFlight} in flight, none handled for ${Math.round(quiet / 1000)} s (subscriptions: ${subscriptions})\n`);
  }
}, 5_000).unref();
process.on('SIGTERM', () => void client.close({ timeoutMs: 2_000 }).finally(() => process.exit(0)));
