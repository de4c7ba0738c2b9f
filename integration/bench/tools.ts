/**
 * Ferry against the brokers' own benchmark tools, in one run (alternating rounds, medians):
 *
 *   pnpm exec tsx integration/bench/tools.ts [kafka|rabbitmq ...] [--records 200000] [--rounds 3] [--seconds 20]
 *                                            [--envelopes compact,headers] [--publish-only] [--prefetch 128]
 *
 * Kafka (the harness broker, FERRY_KAFKA_BROKERS or 127.0.0.1:9092; 100-byte payloads; a topic of 6 partitions):
 *   - publish: Java `ProducerPerformance` (acks=all, idempotent, linger 5 ms) against Ferry's
 *     producer.publish from 1,000 concurrent callers (acks=all, idempotent), once per envelope form
 *     in `--envelopes` (the Kafka transport's `envelope` option; default compact), alternating;
 *   - consume: Java `ConsumerPerformance` against Ferry's consumer reading the same topic whole in a
 *     group of its own: per message (handle, at-least-once, concurrency 64) and in batches
 *     (handleBatch, maxSize 500).
 * RabbitMQ (the harness broker, FERRY_AMQP_URL or amqp://guest:guest@127.0.0.1:5672):
 *   - `PerfTest -x 1 -y 1 -qq -c 1000 -s 100 -q <prefetch>` (one publisher with publisher confirms, up
 *     to 1,000 unconfirmed; one consumer with manual acks and the same prefetch as Ferry's, 128 by
 *     default, Ferry's default for concurrency 64: PerfTest's own default is no limit; a quorum
 *     queue; 100-byte bodies) for `--seconds`, against Ferry publishing and consuming one
 *     quorum-queue group at once for as long (concurrency 64).
 * FERRY_KAFKA_DRIVERS=kafkajs,platformatic runs Ferry's Kafka variants on each driver (default: kafkajs).
 * The tools' jars come from Maven Central into .brokers/dist (org.apache.kafka:kafka-tools,
 * com.rabbitmq:perf-test) like the harness's brokers.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { z } from 'zod';
import { createClient, defineMessage, type Client } from '@ferry/core';
import { KafkaTransport } from '@ferry/kafka';
import { RabbitMqTransport } from '@ferry/rabbitmq';
import { Kafka, logLevel } from 'kafkajs';
import { provisionMavenDist } from '../harness/maven.ts';
import { DEFAULT_KAFKA_VERSION } from '../harness/config.ts';
import { median } from './median.ts';

const run = promisify(execFile);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    envelopes: { type: 'string', default: 'compact' },
    'publish-only': { type: 'boolean', default: false },
    prefetch: { type: 'string', default: '128' },
  },
});
const RECORDS = Number(values.records);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
/** RabbitMQ: unacked deliveries a consumer may hold, the same for PerfTest (`-q`) and Ferry (`prefetch`). */
const PREFETCH = Number(values.prefetch);
const ENVELOPES = values.envelopes.split(',').filter(Boolean) as Array<'compact' | 'headers' | 'cloudevents'>;
const which = positionals.length > 0 ? positionals : ['kafka', 'rabbitmq'];
const brokers = (process.env.FERRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const amqpUrl = process.env.FERRY_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PARTITIONS = 6;
const DRIVERS = (process.env.FERRY_KAFKA_DRIVERS ?? 'kafkajs').split(',') as Array<'kafkajs' | 'platformatic'>;
const PAYLOAD = 'x'.repeat(100 - '{"n":0,"p":""}'.length);

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function java(lib: string, mainClass: string, args: string[], timeoutMs = 600_000): Promise<string> {
  const { stdout } = await run('java', ['-Xmx1g', '-cp', path.join(lib, '*'), mainClass, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout;
}

/** Runs each variant once per round, in a rotating order, and prints medians and ratios. */
async function alternate(variants: Record<string, () => Promise<number>>): Promise<Record<string, number>> {
  const names = Object.keys(variants);
  const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order) {
      const value = await variants[name]!();
      results[name]!.push(value);
      console.log(`  round ${round + 1} ${name}: ${Math.round(value).toLocaleString('en-US')} msg/s`);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(results[n]!)]));
}

// --- Kafka --------------------------------------------------------------------------------------

async function kafkaBench(): Promise<void> {
  const { libDir } = await provisionMavenDist(`kafka-tools-${DEFAULT_KAFKA_VERSION}`, [
    { groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version: DEFAULT_KAFKA_VERSION },
    { groupId: 'org.slf4j', artifactId: 'slf4j-nop', version: '1.7.36' },
  ]);
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const newTopic = async (prefix: string) => {
    const topic = `bench-tools-${prefix}-${randomUUID().slice(0, 8)}`;
    // On a busy broker, waiting for the new topic's leaders can fail with UNKNOWN_TOPIC_OR_PARTITION: ask again.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
        return topic;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  // One client per driver and envelope form; a name says only what varies.
  const variantName = (driver: string, envelope: string) =>
    ['ferry', DRIVERS.length > 1 ? driver : '', ENVELOPES.length > 1 ? envelope : ''].filter(Boolean).join(' ');
  const clients = new Map<string, Client>();
  for (const driver of DRIVERS) {
    for (const envelope of ENVELOPES) {
      clients.set(variantName(driver, envelope), await createClient(new KafkaTransport(new URL(`kafka://${brokers[0]}`), { partitions: PARTITIONS, clientId: 'bench-tools', logLevel: 'nothing', driver, envelope })));
    }
  }
  const client = clients.get(variantName(DRIVERS[0]!, ENVELOPES[0]!))!;
  const Tick = (topic: string) => defineMessage('bench.tick', z.object({ n: z.number(), p: z.string() }), { topic });

  const toolPublish = async () => {
    const topic = await newTopic('pp');
    const out = await java(libDir, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic', topic, '--num-records', String(RECORDS), '--record-size', '100', '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${brokers.join(',')}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5',
    ]);
    // Last summary line: "<n> records sent, <rate> records/sec (...)".
    const match = [...out.matchAll(/([\d.]+) records\/sec/g)].at(-1);
    if (!match) throw new Error(`ProducerPerformance printed no rate:\n${out.slice(-2000)}`);
    return Number(match[1]);
  };
  const ferryPublish = (sdk: Client) => async () => {
    const topic = await newTopic('fp');
    const producer = sdk.producer();
    const message = Tick(topic);
    await producer.publish(message, { n: -1, p: PAYLOAD });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 1000 }, async () => {
      while (next < RECORDS) await producer.publish(message, { n: next++, p: PAYLOAD });
    }));
    return (RECORDS / (performance.now() - t0)) * 1000;
  };
  console.log(`\nKafka publish, ${RECORDS.toLocaleString('en-US')} records of 100 bytes, ${ROUNDS} rounds:`);
  const publish = await alternate({ ProducerPerformance: toolPublish, ...Object.fromEntries([...clients].map(([name, sdk]) => [name, ferryPublish(sdk)])) });
  const publishLine = () =>
    `  publish: ProducerPerformance ${Math.round(publish.ProducerPerformance!)} msg/s, ` +
    [...clients.keys()].map((name) => `${name} ${Math.round(publish[name]!)} msg/s: ${ratio(publish[name]!, publish.ProducerPerformance!)}`).join(', ');
  if (values['publish-only']) {
    for (const sdk of clients.values()) await sdk.close();
    await admin.disconnect();
    console.log(`\nKafka, medians:\n${publishLine()}`);
    return;
  }

  // One topic, filled once, read whole by each consumer in a group of its own.
  const topic = await newTopic('consume');
  const filler = client.producer();
  const message = Tick(topic);
  let next = 0;
  await Promise.all(Array.from({ length: 1000 }, async () => {
    while (next < RECORDS) await filler.publish(message, { n: next++, p: PAYLOAD });
  }));
  const toolConsume = async () => {
    const out = await java(libDir, 'org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server', brokers.join(','), '--topic', topic, '--messages', String(RECORDS), '--group', `bench-cp-${randomUUID().slice(0, 8)}`, '--timeout', '60000',
    ]);
    // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
    // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec: the fetch rate leaves out the
    // group join, as Ferry's clock starts at its first message.
    const lines = out.trim().split('\n');
    const header = lines.find((l) => l.includes('nMsg.sec'))?.split(',').map((c) => c.trim()) ?? [];
    const row = lines.at(-1)!.split(',').map((c) => c.trim());
    const column = header.indexOf('fetch.nMsg.sec') >= 0 ? header.indexOf('fetch.nMsg.sec') : header.indexOf('nMsg.sec');
    const rate = Number(row[column]);
    if (!(rate > 0)) throw new Error(`ConsumerPerformance printed no rate:\n${out.slice(-2000)}`);
    return rate;
  };
  const ferryConsume = (batch: boolean, driver: string) => async () => {
    const reader = await createClient(new KafkaTransport(new URL(`kafka://${brokers[0]}`), { clientId: 'bench-tools-read', logLevel: 'nothing', driver: driver as 'kafkajs' }));
    try {
      let seen = 0;
      let first = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const tick = (n: number) => {
        if (seen === 0) first = performance.now();
        seen += n;
        if (seen >= RECORDS) done();
      };
      const group = `bench-ferry-${randomUUID().slice(0, 8)}`;
      const consumer = batch
        ? reader.consumer({ group, concurrency: 500, prefetch: 4096 }).handleBatch(message, (items) => void tick(items.length), { maxSize: 500, maxWaitMs: 5 })
        : reader.consumer({ group, concurrency: 64, prefetch: 4096 }).handle(message, () => void tick(1));
      await consumer.start();
      await finished;
      return (seen / (performance.now() - first)) * 1000;
    } finally {
      await reader.close({ timeoutMs: 5_000 });
    }
  };
  console.log(`\nKafka consume, the same ${RECORDS.toLocaleString('en-US')} records, each reader in a group of its own:`);
  const consume = await alternate({
    ConsumerPerformance: toolConsume,
    ...Object.fromEntries(DRIVERS.flatMap((d) => [[`ferry handle ${d}`, ferryConsume(false, d)], [`ferry handleBatch ${d}`, ferryConsume(true, d)]])),
  });
  for (const sdk of clients.values()) await sdk.close();
  await admin.disconnect();
  console.log('\nKafka, medians:');
  console.log(publishLine());
  for (const d of DRIVERS) {
    const handle = consume[`ferry handle ${d}`]!;
    const batch = consume[`ferry handleBatch ${d}`]!;
    console.log(`  [${d}] consume: ConsumerPerformance ${Math.round(consume.ConsumerPerformance!)} msg/s, Ferry handle ${Math.round(handle)} (${ratio(handle, consume.ConsumerPerformance!)}), handleBatch ${Math.round(batch)} (${ratio(batch, consume.ConsumerPerformance!)})`);
  }
}

// --- RabbitMQ -----------------------------------------------------------------------------------

async function rabbitBench(): Promise<void> {
  const { libDir } = await provisionMavenDist('perf-test-2.22.1', [{ groupId: 'com.rabbitmq', artifactId: 'perf-test', version: '2.22.1' }]);
  const toolRun = async (): Promise<{ publish: number; consume: number }> => {
    const queue = `bench-perftest-${randomUUID().slice(0, 8)}`;
    const out = await java(libDir, 'com.rabbitmq.perf.PerfTest', [
      '-h', amqpUrl, '-x', '1', '-y', '1', '-c', '1000', '-s', '100', '-qq', '-u', queue, '-ad', 'false', '-z', String(SECONDS), '-f', 'persistent', '-q', String(PREFETCH),
    ]);
    const send = /sending rates? avg: ([\d.]+)/.exec(out);
    const receive = /receiving rates? avg: ([\d.]+)/.exec(out);
    if (!send || !receive) throw new Error(`PerfTest printed no rates:\n${out.slice(-2000)}`);
    return { publish: Number(send[1]), consume: Number(receive[1]) };
  };
  const ferryRun = async (): Promise<{ publish: number; consume: number }> => {
    const topic = `bench-tools-${randomUUID().slice(0, 8)}`;
    const client: Client = await createClient(new RabbitMqTransport(new URL(amqpUrl), { queueType: 'quorum' }));
    try {
      const message = defineMessage('bench.tick', z.object({ n: z.number(), p: z.string() }), { topic });
      let received = 0;
      const consumer = client.consumer({ group: 'g', concurrency: 64, prefetch: PREFETCH }).handle(message, () => void received++);
      await consumer.start();
      const producer = client.producer();
      let sent = 0;
      let stop = false;
      const t0 = performance.now();
      const publishing = Promise.all(Array.from({ length: 1000 }, async () => {
        while (!stop) {
          await producer.publish(message, { n: sent, p: PAYLOAD });
          sent++;
        }
      }));
      await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
      stop = true;
      const seconds = (performance.now() - t0) / 1000;
      const counts = { publish: sent / seconds, consume: received / seconds };
      await publishing;
      return counts;
    } finally {
      await client.close({ timeoutMs: 5_000 });
    }
  };
  console.log(`\nRabbitMQ publish + consume at once, ${SECONDS} s each, quorum queue, confirms and manual acks:`);
  const tool: Array<{ publish: number; consume: number }> = [];
  const ferry: Array<{ publish: number; consume: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 === 0 ? ['tool', 'ferry'] : ['ferry', 'tool']) {
      const r = which === 'tool' ? await toolRun() : await ferryRun();
      (which === 'tool' ? tool : ferry).push(r);
      console.log(`  round ${round + 1} ${which === 'tool' ? 'PerfTest' : 'ferry'}: publish ${Math.round(r.publish)} msg/s, consume ${Math.round(r.consume)} msg/s`);
    }
  }
  const m = (xs: typeof tool, k: 'publish' | 'consume') => median(xs.map((x) => x[k]));
  console.log('\nRabbitMQ, medians:');
  console.log(`  publish: PerfTest ${Math.round(m(tool, 'publish'))} msg/s, Ferry ${Math.round(m(ferry, 'publish'))} msg/s: ${ratio(m(ferry, 'publish'), m(tool, 'publish'))}`);
  console.log(`  consume: PerfTest ${Math.round(m(tool, 'consume'))} msg/s, Ferry ${Math.round(m(ferry, 'consume'))} msg/s: ${ratio(m(ferry, 'consume'), m(tool, 'consume'))}`);
}

if (which.includes('kafka')) await kafkaBench();
if (which.includes('rabbitmq')) await rabbitBench();
process.exit(0);
