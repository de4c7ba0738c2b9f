/**
 * SQS: the SDK against raw @aws-sdk/client-sqs on the same server (ElasticMQ from the harness), in one run.
 *
 *   pnpm exec tsx integration/bench/sqs.ts [messages=10000] [window=100] [concurrency=64] [rounds=5]
 *
 * Publish (standard queue; `window` messages outstanding in every variant):
 *   - SDK: producer.publish() per message, `window` publishes in flight (the adapter coalesces them
 *     into SendMessageBatch); and the same with `envelope: 'body'` (the envelope in the body, no attribute)
 *   - raw SendMessage, one request per message, `window` requests in flight (the naive way)
 *   - raw SendMessageBatch, hand-batched by 10, window / 10 batches in flight: the body only, and
 *     with the same envelope attribute the SDK sends (id, type, headers), to tell the cost of the
 *     batching machinery from the cost of carrying the envelope; and the body only through a client
 *     with the AWS SDK's MD5 checks on (its default; Ferry's `md5Checks` is off by default)
 * Consume (a pre-filled queue):
 *   - SDK: consumer.handle() with JSON decode + schema validation, at-least-once, `concurrency` handlers;
 *     and the same on messages published with `envelope: 'body'`
 *   - raw: as many ReceiveMessage loops as the SDK runs pollers, JSON.parse, DeleteMessageBatch per
 *     receive, pipelined (the next receive does not wait for the delete); on bare bodies, and on
 *     messages carrying the SDK's envelope attribute (what the SDK's queue holds), which tells the
 *     attribute's cost (the AWS SDK reads it, MD5s aside) from the consumer's
 *   Both clocks stop at the last message (the SDK's at its last handler, raw's at its last receive);
 *   deletes still in flight and idle long polls after it are not counted on either side. The SDK's
 *   clock includes consumer.start() (a few requests: queue lookup, claim, redrive policy); a second
 *   figure times both from their first message, which leaves setup off both clocks.
 * Uses FERRY_SQS_ENDPOINT / FERRY_SQS_REGION, or ElasticMQ on http://127.0.0.1:9324.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createClient, defineMessage } from '@ferry/core';
import { createSqsClient, encode, SqsTransport } from '@ferry/sqs';
import { median } from './median.ts';

const endpoint = process.env.FERRY_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
const region = process.env.FERRY_SQS_REGION ?? 'us-east-1';
const credentials = { accessKeyId: process.env.FERRY_SQS_ACCESS_KEY_ID ?? 'ferry', secretAccessKey: process.env.FERRY_SQS_SECRET_ACCESS_KEY ?? 'ferry' };
const count = Number(process.argv[2] ?? 10_000);
const window = Number(process.argv[3] ?? 100);
const concurrency = Number(process.argv[4] ?? 64);
const rounds = Number(process.argv[5] ?? 5);
const naiveCount = Math.min(count, 3_000); // one request per message is slow: a smaller sample

const run = randomUUID().slice(0, 8);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const body = (n: number) => JSON.stringify({ n, sentAt: Date.now() });
/** This process's CPU time per message, per variant: what the client side costs, apart from the server's share of the machine. */
const cpu = new Map<string, number[]>();
const start = () => ({ at: performance.now(), cpu: process.cpuUsage() });
/** msg/s of each consume round from its first message to its last, per variant: what setup (the SDK's consumer.start) leaves out. */
const fromFirst = new Map<string, number[]>();
const sinceFirst = (variant: string, n: number, firstAt: number) => fromFirst.set(variant, [...(fromFirst.get(variant) ?? []), rate(n, performance.now() - firstAt)]);
const finish = (variant: string, n: number, from: ReturnType<typeof start>) => {
  const used = process.cpuUsage(from.cpu);
  cpu.set(variant, [...(cpu.get(variant) ?? []), (used.user + used.system) / n]);
  return rate(n, performance.now() - from.at);
};

async function main(): Promise<void> {
  const options = { credentials, waitTimeSeconds: 1 };
  const url = new URL(`sqs://${region}?endpoint=${encodeURIComponent(endpoint)}`);
  const transport = new SqsTransport(url, options);
  const client = await createClient(transport);
  const bodyClient = await createClient(new SqsTransport(url, { ...options, envelope: 'body' }));
  // The raw client gets the same HTTP tuning (keep-alive, sockets, timeouts) so only the batching differs.
  const raw: SQSClient = createSqsClient(transport.config);
  // The same client with the AWS SDK's MD5 checks of bodies on (the SDK's default; Ferry's is off).
  const rawMd5: SQSClient = createSqsClient({ ...transport.config, md5Checks: true });
  const topics = { sdk: `bench-sqs-${run}-sdk`, naive: `bench-sqs-${run}-naive`, batch: `bench-sqs-${run}-batch`, consumeSdk: `bench-sqs-${run}-csdk`, consumeRaw: `bench-sqs-${run}-craw`, consumeRawEnvelope: `bench-sqs-${run}-crawe`, sdkBody: `bench-sqs-${run}-sdkb`, consumeSdkBody: `bench-sqs-${run}-csdkb` };
  const urls = Object.fromEntries(await Promise.all(Object.entries(topics).map(async ([k, t]) => [k, (await transport.queueOf(t)).url]))) as Record<keyof typeof topics, string>;
  const Tick = (topic: string) => defineMessage('bench.tick', z.object({ n: z.number(), sentAt: z.number() }), { topic });
  const producer = client.producer();
  const bodyProducer = bodyClient.producer();

  /** Runs `total` jobs with `width` of them in flight. */
  const inFlight = async (total: number, width: number, job: (i: number) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(width, total) }, async () => {
        while (next < total) await job(next++);
      }),
    );
  };
  /** Message `n` of a hand-made batch; `withEnvelope`: it carries what the SDK carries (id, type, headers in one attribute). */
  const entry = (n: number, id: string, withEnvelope: boolean) => {
    if (!withEnvelope) return { Id: id, MessageBody: body(n) };
    const { body: MessageBody, attributes } = encode({ id: randomUUID(), type: 'bench.tick', topic: topics.batch, headers: { 'ferry-content-type': 'application/json' }, payload: Buffer.from(body(n)), timestamp: Date.now() });
    return { Id: id, MessageBody, MessageAttributes: attributes };
  };
  const fill = async (queueUrl: string, withEnvelope = false) => {
    await inFlight(Math.ceil(count / 10), 16, async (b) => {
      const Entries = Array.from({ length: Math.min(10, count - b * 10) }, (_, i) => entry(b * 10 + i, String(i), withEnvelope));
      await raw.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
    });
  };

  // --- publish ---------------------------------------------------------------------------
  const sdkPublishing = (p: typeof producer, topic: string, variant: string) => async () => {
    const message = Tick(topic);
    const t0 = start();
    await inFlight(count, window, (n) => p.publish(message, { n, sentAt: Date.now() }));
    return finish(variant, count, t0);
  };
  const sdkPublishRound = sdkPublishing(producer, topics.sdk, 'sdkPublish');
  const sdkBodyPublishRound = sdkPublishing(bodyProducer, topics.sdkBody, 'sdkBodyPublish');
  const naiveRound = async () => {
    const t0 = start();
    await inFlight(naiveCount, window, (n) => raw.send(new SendMessageCommand({ QueueUrl: urls.naive, MessageBody: body(n) })));
    return finish('naive', naiveCount, t0);
  };
  /** Hand-batched by 10; `withEnvelope`: each entry carries what the SDK carries (id, type, headers in one attribute). */
  const handBatched = (withEnvelope: boolean, client = raw, variant = withEnvelope ? 'handEnvelope' : 'hand') => async () => {
    const t0 = start();
    await inFlight(Math.ceil(count / 10), Math.max(1, window / 10), async (b) => {
      const Entries = Array.from({ length: Math.min(10, count - b * 10) }, (_, i) => entry(b * 10 + i, String(i), withEnvelope));
      const { Failed = [] } = await client.send(new SendMessageBatchCommand({ QueueUrl: urls.batch, Entries }));
      if (Failed.length > 0) throw new Error(`batch entries failed: ${JSON.stringify(Failed)}`);
    });
    return finish(variant, count, t0);
  };
  const handBatchedRound = handBatched(false);
  const handEnvelopeRound = handBatched(true);
  const handMd5Round = handBatched(false, rawMd5, 'handMd5');
  // Empty queues between rounds: a growing in-memory queue slows the server down as the run goes on.
  const purge = () => Promise.all([urls.sdk, urls.sdkBody, urls.naive, urls.batch].map((QueueUrl) => raw.send(new PurgeQueueCommand({ QueueUrl }))));
  // Warm-up, not counted: sockets open, JIT (ours and the server's) warm, queues known.
  await naiveRound();
  await handBatchedRound();
  await handEnvelopeRound();
  await handMd5Round();
  await sdkPublishRound();
  await sdkBodyPublishRound();
  await purge();
  cpu.clear();

  const naive: number[] = [];
  const hand: number[] = [];
  const handEnvelope: number[] = [];
  const handMd5: number[] = [];
  const sdkPublish: number[] = [];
  const sdkBodyPublish: number[] = [];
  const contenders: Array<[() => Promise<number>, number[]]> = [
    [handBatchedRound, hand],
    [handEnvelopeRound, handEnvelope],
    [handMd5Round, handMd5],
    [sdkPublishRound, sdkPublish],
    [sdkBodyPublishRound, sdkBodyPublish],
  ];
  for (let round = 0; round < rounds; round++) {
    naive.push(await naiveRound());
    // Rotate which of the close contenders goes first, so drift does not favour one.
    for (let i = 0; i < contenders.length; i++) {
      const [variant, results] = contenders[(round + i) % contenders.length]!;
      results.push(await variant());
    }
    await purge();
  }

  // --- consume ---------------------------------------------------------------------------
  const prefetch = concurrency * 2;
  const pollers = Math.min(transport.config.maxPollers, Math.ceil(prefetch / 10));
  /**
   * The clock stops at the last message received, as the SDK's stops at its last handler: neither
   * waits for its deletes, nor for pollers still in a (1 s) long poll of the empty queue.
   */
  const rawConsumeRound = (queueUrl: string, variant: string) => async () => {
    let got = 0;
    let result: number | undefined;
    let firstAt = 0;
    const deletes: Promise<unknown>[] = [];
    const t0 = start();
    await Promise.all(
      Array.from({ length: pollers }, async () => {
        while (got < count) {
          const { Messages = [] } = await raw.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
          );
          if (Messages.length === 0) continue;
          firstAt ||= performance.now();
          for (const m of Messages) JSON.parse(m.Body!);
          got += Messages.length;
          // Pipelined: the next receive does not wait for this delete.
          deletes.push(raw.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })));
          if (got >= count && result === undefined) {
            result = finish(variant, count, t0);
            sinceFirst(variant, count, firstAt);
          }
        }
      }),
    );
    await Promise.all(deletes);
    return result!;
  };
  const sdkConsuming = (c: typeof client, topic: string, variant: string) => async () => {
    let handled = 0;
    let firstAt = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const consumer = c.consumer({ group: 'bench', concurrency, prefetch, orderedByKey: false }).handle(Tick(topic), () => {
      firstAt ||= performance.now();
      if (++handled === count) done();
    });
    const t0 = start();
    await consumer.start();
    await finished;
    const result = finish(variant, count, t0);
    sinceFirst(variant, count, firstAt);
    await consumer.close();
    return result;
  };
  const sdkConsumeRound = sdkConsuming(client, topics.consumeSdk, 'sdkConsume');
  const sdkBodyConsumeRound = sdkConsuming(bodyClient, topics.consumeSdkBody, 'sdkBodyConsume');
  // The SDK consumes what the SDK publishes (its attributes); fill its queue through the producer.
  const fillSdk = () => inFlight(count, window, (n) => producer.publish(Tick(topics.consumeSdk), { n, sentAt: Date.now() }));
  const fillSdkBody = () => inFlight(count, window, (n) => bodyProducer.publish(Tick(topics.consumeSdkBody), { n, sentAt: Date.now() }));
  const rawConsume: number[] = [];
  const rawEnvelopeConsume: number[] = [];
  const sdkConsume: number[] = [];
  const sdkBodyConsume: number[] = [];
  const consumers: Array<[number[], () => Promise<number>]> = [
    [rawConsume, rawConsumeRound(urls.consumeRaw, 'rawConsume')],
    [rawEnvelopeConsume, rawConsumeRound(urls.consumeRawEnvelope, 'rawEnvelopeConsume')],
    [sdkConsume, sdkConsumeRound],
    [sdkBodyConsume, sdkBodyConsumeRound],
  ];
  for (let round = 0; round < rounds; round++) {
    await Promise.all([fillSdk(), fillSdkBody(), fill(urls.consumeRaw), fill(urls.consumeRawEnvelope, true)]);
    // A different one goes first each round.
    for (let i = 0; i < consumers.length; i++) {
      const [figures, consume] = consumers[(i + round) % consumers.length]!;
      figures.push(await consume());
    }
  }

  const queueUrls = [...Object.values(urls), ...(await Promise.all([topics.consumeSdk, topics.consumeSdkBody].map(async (t) => (await transport.queueOf(`${t}.dlq`)).url)))];
  await client.close();
  await bodyClient.close();
  for (const QueueUrl of queueUrls) await raw.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
  raw.destroy();
  rawMd5.destroy();

  const rows: Array<[string, string, number[]]> = [
    [`raw SendMessage per message, ${window} in flight (${naiveCount})`, 'naive', naive],
    [`raw SendMessageBatch by 10, ${window / 10} batches in flight, body only`, 'hand', hand],
    [`raw SendMessageBatch by 10, same envelope attribute as the SDK`, 'handEnvelope', handEnvelope],
    [`raw SendMessageBatch by 10, body only, the SDK's MD5 checks on`, 'handMd5', handMd5],
    [`SDK producer.publish, ${window} in flight`, 'sdkPublish', sdkPublish],
    [`SDK producer.publish, envelope: 'body'`, 'sdkBodyPublish', sdkBodyPublish],
    [`raw ReceiveMessage x${pollers} + pipelined DeleteMessageBatch`, 'rawConsume', rawConsume],
    [`raw, the same, messages with the SDK's envelope attribute`, 'rawEnvelopeConsume', rawEnvelopeConsume],
    [`SDK consumer, concurrency ${concurrency}, prefetch ${prefetch} (${pollers} pollers)`, 'sdkConsume', sdkConsume],
    [`SDK consumer, the same, messages published with envelope: 'body'`, 'sdkBodyConsume', sdkBodyConsume],
  ];
  console.log(`SQS ${endpoint}, ${count} messages, ${rounds} rounds (median msg/s | median client CPU µs per message | msg/s of each round)`);
  console.log(`  (md5Checks ${transport.config.md5Checks} on the SDK's client and the raw one, except where a row says otherwise)`);
  for (const [label, variant, values] of rows) {
    console.log(`  ${label.padEnd(66)} ${String(median(values)).padStart(7)} | ${median(cpu.get(variant)!).toFixed(0).padStart(4)} µs | [${values.join(', ')}]`);
  }
  console.log('ratios of medians (target):');
  console.log(`  SDK publish / raw SendMessage per message  ${(median(sdkPublish) / median(naive)).toFixed(1)}x   (>= 5x)`);
  console.log(`  SDK publish / raw hand-batched, body only  ${(median(sdkPublish) / median(hand)).toFixed(2)}x  (>= 0.9x)`);
  console.log(`  SDK publish / raw hand-batched, envelope   ${(median(sdkPublish) / median(handEnvelope)).toFixed(2)}x  (>= 0.9x)`);
  console.log(`  SDK publish / raw hand-batched, MD5 on     ${(median(sdkPublish) / median(handMd5)).toFixed(2)}x`);
  console.log(`  SDK consume / raw receive + delete-batch   ${(median(sdkConsume) / median(rawConsume)).toFixed(2)}x  (>= 0.9x)`);
  console.log(`  SDK consume / raw, envelope attribute      ${(median(sdkConsume) / median(rawEnvelopeConsume)).toFixed(2)}x`);
  console.log(`  envelope 'body': publish / body only       ${(median(sdkBodyPublish) / median(hand)).toFixed(2)}x  (>= 0.9x)`);
  console.log(`  envelope 'body': consume / raw             ${(median(sdkBodyConsume) / median(rawConsume)).toFixed(2)}x  (>= 0.9x)`);
  const first = (variant: string) => median(fromFirst.get(variant)!);
  console.log(
    `  from each one's first message (no setup on either clock): raw ${first('rawConsume')}, envelope attribute ${first('rawEnvelopeConsume')}, SDK ${first('sdkConsume')} msg/s: ` +
      `${(first('sdkConsume') / first('rawConsume')).toFixed(2)}x, ${(first('sdkConsume') / first('rawEnvelopeConsume')).toFixed(2)}x`,
  );
  // Each round's contenders run back to back: their ratio drifts less with the machine's load than the medians.
  const perRound = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!)).toFixed(2);
  console.log(`medians of per-round ratios: publish / body only ${perRound(sdkPublish, hand)}x, / envelope ${perRound(sdkPublish, handEnvelope)}x, / MD5 on ${perRound(sdkPublish, handMd5)}x; consume ${perRound(sdkConsume, rawConsume)}x, / envelope ${perRound(sdkConsume, rawEnvelopeConsume)}x; envelope 'body': publish / body only ${perRound(sdkBodyPublish, hand)}x, consume ${perRound(sdkBodyConsume, rawConsume)}x`);
}

await main();
