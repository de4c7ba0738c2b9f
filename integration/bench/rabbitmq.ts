/**
 * RabbitMQ: the SDK against raw amqplib on the same broker, in one run.
 *
 *   pnpm exec tsx integration/bench/rabbitmq.ts [messages=10000] [window=1000] [concurrency=64] [rounds=11]
 *
 * Publish (persistent, mandatory, topic exchange -> quorum queue, every message confirmed):
 *   - SDK: producer.publish() per message, `window` publishes in flight, each awaiting its confirm
 *   - raw amqplib, waitForConfirms() after every message (the naive way)
 *   - raw amqplib, a pipelined window of `window` unconfirmed messages with per-message callbacks
 * Consume (a pre-filled quorum queue, manual acks, prefetch 2 x concurrency):
 *   - SDK: consumer.handle() with JSON decode + schema validation, at-least-once
 *   - raw amqplib: consume + JSON.parse + ack
 * Uses FERRY_AMQP_URL or amqp://guest:guest@127.0.0.1:5672.
 */
import { randomUUID } from 'node:crypto';
import amqp, { type ConfirmChannel } from 'amqplib';
import { z } from 'zod';
import { createClient, defineMessage } from '@ferry/core';
import { openSubscription } from '@ferry/core/spi';
import { RabbitMqTransport } from '@ferry/rabbitmq';
import { rabbitWindowPublish } from './raw-loops.ts';
import { timeConsumer } from './time-consumer.ts';
import { median } from './median.ts';

const url = process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const count = Number(process.argv[2] ?? 10_000);
const window = Number(process.argv[3] ?? 1_000);
const concurrency = Number(process.argv[4] ?? 64);
const rounds = Number(process.argv[5] ?? 11);
const slowCount = Math.min(count, 2_000); // waitForConfirms per message is slow: a smaller sample

const topic = `bench-rmq-${randomUUID().slice(0, 8)}`;
const Tick = defineMessage('bench.tick', z.object({ n: z.number(), sentAt: z.number() }), { topic });
const body = (n: number) => Buffer.from(JSON.stringify({ n, sentAt: Date.now() }));
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function main(): Promise<void> {
  const transport = new RabbitMqTransport(new URL(url), {});
  const client = await createClient(transport);
  const connection = await amqp.connect(url);
  const spec = (group: string) => ({ topic, group, maxInFlight: concurrency * 2, start: { from: 'stored' } as const, deadLetterTopic: `${topic}.dlq`, handlerTimeoutMs: 60_000, orderedByKey: false, delivery: 'at-least-once' as const });
  // The group queues the consume runs read; declared the way the adapter declares them.
  for (const group of ['sdk', 'raw']) await (await openSubscription(transport, spec(group), () => undefined)).close();
  const admin = await connection.createChannel();
  const purge = async () => {
    for (const group of ['sdk', 'raw']) await admin.purgeQueue(`${topic}.${group}`);
  };

  // --- publish ---------------------------------------------------------------------------
  const confirm: ConfirmChannel = await connection.createConfirmChannel();
  const publishRaw = (n: number, cb?: (err: unknown) => void) =>
    confirm.publish(topic, 'bench.tick', body(n), { persistent: true, mandatory: true, messageId: randomUUID(), type: 'bench.tick', contentType: 'application/json' }, cb);
  const producer = client.producer();

  const rawWaitEachRound = async () => {
    const t0 = performance.now();
    for (let n = 0; n < slowCount; n++) {
      publishRaw(n);
      await confirm.waitForConfirms();
    }
    return rate(slowCount, performance.now() - t0);
  };
  const rawWindowRound = () => rabbitWindowPublish(confirm, count, window, (n, cb) => publishRaw(n, cb));
  const sdkPublishRound = async () => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (next < count) {
          const n = next++;
          await producer.publish(Tick, { n, sentAt: Date.now() });
        }
      }),
    );
    return rate(count, performance.now() - t0);
  };

  // The broker is shared and its speed drifts: alternate the variants and keep each one's median.
  const rawWaitEach: number[] = [];
  const rawWindow: number[] = [];
  const sdkPublish: number[] = [];
  for (let round = 0; round < rounds; round++) {
    rawWaitEach.push(await rawWaitEachRound());
    await purge();
    // Alternate which of the two close contenders goes first, so drift does not favour one.
    const pair = round % 2 === 0 ? [rawWindowRound, sdkPublishRound] : [sdkPublishRound, rawWindowRound];
    for (const variant of pair) {
      (variant === rawWindowRound ? rawWindow : sdkPublish).push(await variant());
      await purge();
    }
  }

  // --- consume ---------------------------------------------------------------------------
  const fill = async () => {
    // Both group queues at once (the exchange copies each message to both).
    for (let sent = 0; sent < count; ) {
      const chunk = Math.min(1000, count - sent);
      await Promise.all(Array.from({ length: chunk }, () => producer.publish(Tick, { n: sent++, sentAt: Date.now() })));
    }
  };
  const rawConsumeRound = async () => {
    const channel = await connection.createChannel();
    await channel.prefetch(concurrency * 2);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      void channel.consume(`${topic}.raw`, (msg) => {
        if (!msg) return;
        JSON.parse(msg.content.toString('utf8'));
        channel.ack(msg);
        if (++got === count) resolve();
      });
    });
    const result = rate(count, performance.now() - t0);
    await channel.close();
    return result;
  };
  const sdkConsumeRound = () => timeConsumer(count, (handled) => client.consumer({ group: 'sdk', concurrency, orderedByKey: false }).handle(Tick, handled));
  const rawConsume: number[] = [];
  const sdkConsume: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await fill();
    if (round % 2 === 0) {
      rawConsume.push(await rawConsumeRound());
      sdkConsume.push(await sdkConsumeRound());
    } else {
      sdkConsume.push(await sdkConsumeRound());
      rawConsume.push(await rawConsumeRound());
    }
  }

  await client.close();
  for (const q of ['sdk', 'raw']) await admin.deleteQueue(`${topic}.${q}`);
  await admin.deleteQueue(`${topic}.dlq.ferry-dead-letters`);
  for (const e of [topic, `${topic}.dlq`]) await admin.deleteExchange(e);
  await connection.close();

  const rows: Array<[string, number[]]> = [
    [`raw amqplib publish, waitForConfirms per message (${slowCount})`, rawWaitEach],
    [`raw amqplib publish, pipelined window of ${window}`, rawWindow],
    [`SDK producer.publish, ${window} in flight, each confirmed`, sdkPublish],
    [`raw amqplib consume, manual ack, prefetch ${concurrency * 2}`, rawConsume],
    [`SDK consumer, concurrency ${concurrency}, prefetch ${concurrency * 2}`, sdkConsume],
  ];
  console.log(`RabbitMQ ${url.replace(/:[^:@/]+@/, ':***@')}, ${count} messages, ${rounds} rounds (median msg/s, then each round)`);
  for (const [label, values] of rows) console.log(`  ${label.padEnd(66)} ${String(median(values)).padStart(8)}   [${values.join(', ')}]`);
  console.log('ratios of medians (target):');
  console.log(`  SDK publish / raw waitForConfirms each   ${(median(sdkPublish) / median(rawWaitEach)).toFixed(1)}x   (>= 10x)`);
  console.log(`  SDK publish / raw pipelined window       ${(median(sdkPublish) / median(rawWindow)).toFixed(2)}x  (>= 0.9x)`);
  console.log(`  SDK consume / raw consume                ${(median(sdkConsume) / median(rawConsume)).toFixed(2)}x  (>= 0.9x)`);
  // Each round's pair ran back to back: their ratio cancels most of the broker's drift.
  const paired = (a: number[], b: number[]) => median(a.map((v, i) => v / b[i]!)).toFixed(2);
  console.log('median of per-round ratios (pairs run back to back):');
  console.log(`  SDK publish / raw pipelined window       ${paired(sdkPublish, rawWindow)}x`);
  console.log(`  SDK consume / raw consume                ${paired(sdkConsume, rawConsume)}x`);
}

await main();
