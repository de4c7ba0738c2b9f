/**
 * Raw-client loops the benchmarks share as baselines: a kafkajs group reading a topic whole
 * (eachBatch, JSON.parse, offsets resolved and committed per batch) and an amqplib pipelined
 * window of confirmed publishes. Each returns msg/s.
 */
import type { ConfirmChannel } from 'amqplib';
import type { Kafka, KafkaMessage } from 'kafkajs';

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** The bytes of a record the loop parses: its value, or (kafka-consume.ts's `-envelope` variants) the payload of the envelope read from it. */
export type PayloadOf = (topic: string, partition: number, message: KafkaMessage) => Uint8Array;
const valueOf: PayloadOf = (_topic, _partition, message) => message.value!;
const text = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');

/** Reads `count` messages of `topic` in a new group from the first, timed from the first message to the last. */
export async function kafkaRawConsume(kafka: Kafka, topic: string, group: string, count: number, partitions: number, payloadOf: PayloadOf = valueOf): Promise<number> {
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of batch.messages) {
        JSON.parse(text(payloadOf(batch.topic, batch.partition, m)));
        resolveOffset(m.offset);
        if (seen++ === 0) first = performance.now();
        if (seen === count) done(performance.now() - first);
      }
      await commitOffsetsIfNecessary();
    },
  });
  const ms = await finished;
  await consumer.disconnect();
  return rate(count, ms);
}

/**
 * Reads a topic in a new group doing by hand what the SDK does per message: UTF-8 check and
 * JSON.parse, the schema, an awaited async handler, up to 64 at once; an offset resolved per 64
 * and a commit per batch. `handle` is called once per message (it times the run).
 */
export async function kafkaRawSameWork(kafka: Kafka, topic: string, group: string, partitions: number, parse: (value: unknown) => unknown, handle: () => void, payloadOf: PayloadOf = valueOf): Promise<{ disconnect(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const handler = async (_value: unknown) => handle();
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (let i = 0; i < batch.messages.length; i += 64) {
        const slice = batch.messages.slice(i, i + 64);
        await Promise.all(slice.map((m) => handler(parse(JSON.parse(utf8.decode(payloadOf(batch.topic, batch.partition, m)))))));
        resolveOffset(slice[slice.length - 1]!.offset);
      }
      await commitOffsetsIfNecessary();
    },
  });
  return consumer;
}

/**
 * Publishes `count` messages with at most `window` unconfirmed, a confirm callback each, waiting
 * for 'drain' when the socket buffer is full; `publish(n, callback)` is one channel.publish.
 */
export async function rabbitWindowPublish(confirm: ConfirmChannel, count: number, window: number, publish: (n: number, callback: (err: unknown) => void) => boolean): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    let inFlight = 0;
    let blocked = false;
    const pump = () => {
      while (sent < count && inFlight < window && !blocked) {
        inFlight++;
        const ok = publish(sent++, (err) => {
          if (err) return reject(err);
          inFlight--;
          if (++confirmed === count) resolve();
          else pump();
        });
        if (!ok) {
          blocked = true;
          confirm.once('drain', () => {
            blocked = false;
            pump();
          });
        }
      }
    };
    pump();
  });
  return rate(count, performance.now() - t0);
}
