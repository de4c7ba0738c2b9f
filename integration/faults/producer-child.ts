/**
 * The producer process of a fault run: publishes `<prefix>-<n>` for every n, keeping a window of
 * publishes in flight, and writes `P <id>` once the broker has accepted one. A publish that fails
 * (a broker restart, a cut connection) is tried again with the same id, as an application would.
 */
import { writeSync } from 'node:fs';
import { createClient } from '@ferry/core';
import { childConfig, faultMessage, LINE } from './plan.ts';

const WINDOW = 256;
const config = childConfig();
const Item = faultMessage(config.topic);
const client = await createClient(config.url, { transport: config.transport });
const producer = client.producer();
const total = config.messages ?? 0;
/** Message n is due at start + n × interval: the run spans publishMs, so faults hit a live stream. */
const intervalMs = (config.publishMs ?? 0) / Math.max(1, total);
const start = Date.now();
let next = 0;
let lastError = 0;

async function publishOne(n: number): Promise<void> {
  const id = `${config.prefix}-${n}`;
  for (let wait = 50; ; wait = Math.min(2_000, wait * 2)) {
    try {
      await producer.publish(Item, { n }, { id });
      writeSync(1, `${LINE.published} ${id}\n`);
      return;
    } catch (error) {
      if (Date.now() - lastError > 1000) {
        lastError = Date.now();
        process.stderr.write(`producer: ${error instanceof Error ? error.message : String(error)} (retrying)\n`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

await Promise.all(
  Array.from({ length: WINDOW }, async () => {
    while (next < total) {
      const n = next++;
      const wait = start + n * intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await publishOne(n);
    }
  }),
);
writeSync(1, `${LINE.done}\n`);
await client.close();
