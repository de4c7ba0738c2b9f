/**
 * Ferry's demo: a small order pipeline. Runs on the in-process transport by default;
 * FERRY_URL=kafka://127.0.0.1:9092 (or amqp://..., sqs://...) runs the same code on a broker.
 *
 *   pnpm demo
 *   pnpm demo kafka://127.0.0.1:9092
 *   FERRY_URL=amqp://guest:guest@127.0.0.1:5672 pnpm demo
 *   FERRY_URL=sqs://k:s@us-east-1?endpoint=http://127.0.0.1:9324 FERRY_OPTIONS='{"waitTimeSeconds":1}' pnpm demo
 *
 * FERRY_OPTIONS: adapter options as JSON (docs/adapters/<name>.md). A failure (broker unreachable,
 * credentials refused, a bad option) prints one paragraph, the error's code and message, and exits 1.
 */
import { z } from 'zod';
import { createClient, defineMessage, FerryError, HEADERS, NonRetryableError, DEAD_LETTER_GROUP } from '@ferry/core';
import { redactText, redactUrl } from '@ferry/core/spi';

const url = process.argv[2] ?? process.env.FERRY_URL ?? 'memory://demo';

// Errors explain themselves (code, what was tried, the fix): show that, not a stack trace.
const fail = (error: unknown) => {
  const text = error instanceof FerryError ? `${error.message} (${error.code})` : redactText(error instanceof Error ? error.message : String(error));
  process.stderr.write(`Ferry demo failed on ${redactUrl(url)}: ${text}\n`);
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// A topic per run, so a broker that keeps messages (Kafka) shows this run only.
const run = Date.now().toString(36);

const OrderPlaced = defineMessage(
  'order.placed',
  z.object({
    orderId: z.string(),
    customer: z.string().min(1),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1),
  }),
  { topic: `demo-orders-${run}` },
);

const client = await createClient(url, { transport: JSON.parse(process.env.FERRY_OPTIONS ?? '{}') as Record<string, unknown> });
console.log(`Ferry demo on ${redactUrl(url)} (transport: ${client.transport.name})`);

const stats = { processed: 0, retried: 0, deadLettered: 0, duplicates: 0 };
const failuresLeft = new Map([['order-7', 2]]); // order-7 fails twice (a flaky downstream), then works
const shipped = new Set<string>();
const total = { expected: 0 };
let finished!: () => void;
const done = new Promise<void>((resolve) => (finished = resolve));
const settled = () => {
  if (stats.processed + stats.deadLettered + stats.duplicates === total.expected) finished();
};

const consumer = client
  .consumer({
    group: 'shipping',
    delivery: 'exactly-once', // idempotency store: a message id has one effect
    concurrency: 4,
    retry: { attempts: 4, initialDelayMs: 50, maxDelayMs: 500 },
    hooks: {
      onProcessed: () => (stats.processed++, settled()),
      onRetry: (ctx, error, delayMs) => {
        stats.retried++;
        console.log(`  retry   ${ctx.envelope.id} attempt ${ctx.attempt} failed (${(error as Error).message}); again in ${delayMs} ms`);
      },
      onDeadLetter: (ctx, error, topic) => {
        stats.deadLettered++;
        console.log(`  dead    ${ctx.envelope.id} -> ${topic}: ${(error as Error).message}`);
        settled();
      },
      onDuplicate: (ctx) => {
        stats.duplicates++;
        console.log(`  dup     ${ctx.envelope.id} already shipped: suppressed`);
        settled();
      },
    },
  })
  .handle(OrderPlaced, async (order, ctx) => {
    const left = failuresLeft.get(order.orderId) ?? 0;
    if (left > 0) {
      failuresLeft.set(order.orderId, left - 1);
      throw new Error('warehouse API timed out');
    }
    if (order.items.some((item) => item.sku === 'RECALLED')) {
      throw new NonRetryableError(`order ${order.orderId} contains a recalled item`);
    }
    shipped.add(order.orderId);
    console.log(`  shipped ${order.orderId} for ${order.customer} (attempt ${ctx.attempt})`);
  });
await consumer.start();

const producer = client.producer();
const orders = Array.from({ length: 10 }, (_, i) => ({
  orderId: `order-${i + 1}`,
  customer: ['ada', 'grace', 'linus'][i % 3]!,
  items: [{ sku: i === 4 ? 'RECALLED' : `sku-${i}`, qty: 1 + (i % 3) }],
}));
for (const order of orders) {
  await producer.publish(OrderPlaced, order, { id: order.orderId, key: order.customer });
}
// A client retrying its publish sends order-3 twice with the same id.
await producer.publish(OrderPlaced, orders[2]!, { id: orders[2]!.orderId, key: orders[2]!.customer });
total.expected = orders.length + 1;
settled();

const timeout = setTimeout(() => {
  console.error('Demo timed out waiting for messages', stats);
  process.exit(1);
}, 60_000);
await done;
clearTimeout(timeout);
await consumer.close();

// Read the dead letter back to show what it keeps.
let shownDeadLetter!: () => void;
const shown = new Promise<void>((resolve) => (shownDeadLetter = resolve));
// The dead-letter topic carries the same message type, so the same definition reads it.
const DeadOrder = defineMessage(OrderPlaced.type, OrderPlaced.schema, { topic: `${OrderPlaced.topic}.dlq` });
const dlqReader = client.consumer({ group: DEAD_LETTER_GROUP, deadLetter: false }).handle(DeadOrder, async (order, ctx) => {
  const h = ctx.envelope.headers;
  console.log(`\nDead letter ${ctx.envelope.id} (customer ${order.customer}): reason="${h[HEADERS.deadLetterReason]}", kind=${h[HEADERS.deadLetterKind]}, attempts=${h[HEADERS.deadLetterAttempts]}, from ${h[HEADERS.originalTopic]} (group ${h[HEADERS.originalGroup]})`);
  shownDeadLetter();
});
await dlqReader.start();
const giveUp = setTimeout(() => shownDeadLetter(), 15_000);
await shown;
clearTimeout(giveUp);
await dlqReader.close();

console.log('\nSummary');
console.log(`  published            ${total.expected} (${orders.length} orders + 1 duplicate publish)`);
console.log(`  processed            ${stats.processed}`);
console.log(`  retried              ${stats.retried}`);
console.log(`  dead-lettered        ${stats.deadLettered}`);
console.log(`  duplicates suppressed ${stats.duplicates}`);
console.log(`  shipped              ${[...shipped].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(', ')}`);
await client.close();
