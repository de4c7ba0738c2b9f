/**
 * The CPU cost of each Kafka envelope form, without a broker: Ferry's encode plus kafkajs's
 * produce-request encoding (what a publish pays per record before the bytes reach the socket),
 * and Ferry's decode of fetched records (header values as kafkajs hands them: Buffers). Forms run
 * alternately in one process, medians of the rounds; the end-to-end figures are tools.ts's.
 *
 *   pnpm exec tsx integration/bench/envelope.ts [records=100000] [rounds=7]
 */
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Envelope } from '@ferry/core/spi';
// The adapter's codec itself (not exported by the package: a bench of its internals).
import { decode, encode, type WireFormat } from '../../packages/kafka/src/codec.ts';
import { median } from './median.ts';

const records = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 7);
const BATCH = 1000;

// kafkajs's produce request v3 encoder (what sendBatch runs for Kafka >= 0.11), from the adapter's copy of kafkajs.
const fromKafka = createRequire(path.resolve('packages/kafka/package.json'));
const produceRequest = fromKafka('kafkajs/src/protocol/requests/produce/v3/request') as (args: unknown) => { encode(): Promise<{ buffer: Buffer }> };

const forms: Record<string, WireFormat> = { compact: { form: 'compact' }, headers: { form: 'headers' }, cloudevents: { form: 'cloudevents' } };
const payload = Buffer.from(JSON.stringify({ n: 1, p: 'x'.repeat(86) }));
const envelopes: Envelope[] = Array.from({ length: BATCH }, () => ({ id: randomUUID(), type: 'bench.tick', topic: 'bench', headers: { 'ferry-content-type': 'application/json' }, payload, timestamp: Date.now() }));

async function encodeRun(format: WireFormat): Promise<{ rate: number; bytes: number }> {
  let bytes = 0;
  const t0 = performance.now();
  for (let n = 0; n < records; n += BATCH) {
    const messages = envelopes.map((e) => encode(e, undefined, format)).map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
    const request = produceRequest({ acks: -1, timeout: 30_000, topicData: [{ topic: 'bench', partitions: [{ partition: 0, firstSequence: 0, messages }] }] });
    bytes = (await request.encode()).buffer.length;
  }
  return { rate: (records / (performance.now() - t0)) * 1000, bytes: bytes / BATCH };
}

function decodeRun(format: WireFormat): number {
  const fetched = envelopes.map((e, i) => {
    const r = encode(e, undefined, format);
    const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)]));
    return { offset: String(i), key: r.key, value: r.value, headers, timestamp: r.timestamp, attributes: 0 } as never;
  });
  const t0 = performance.now();
  let ids = 0;
  for (let n = 0; n < records; n += BATCH) for (const m of fetched) ids += decode('bench', 0, m).envelope.id.length;
  if (ids === 0) throw new Error('nothing decoded');
  return (records / (performance.now() - t0)) * 1000;
}

async function main(): Promise<void> {
  const names = Object.keys(forms);
  const enc: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const dec: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const size: Record<string, number> = {};
  for (const name of names) await encodeRun(forms[name]!); // warm the JIT for every form first
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      const { rate, bytes } = await encodeRun(forms[name]!);
      enc[name]!.push(rate);
      size[name] = bytes;
      dec[name]!.push(decodeRun(forms[name]!));
    }
  }
  console.log(`envelope forms: ${records} records a round (batches of ${BATCH}), ${rounds} rounds, medians`);
  for (const name of names) {
    console.log(`  ${name.padEnd(12)} encode+produce request ${Math.round(median(enc[name]!)).toLocaleString('en-US').padStart(9)} rec/s   decode ${Math.round(median(dec[name]!)).toLocaleString('en-US').padStart(10)} rec/s   ${size[name]!.toFixed(0)} bytes/record on the wire`);
  }
  console.log(`  compact / headers: encode ${(median(enc['compact']!) / median(enc['headers']!)).toFixed(2)}x, decode ${(median(dec['compact']!) / median(dec['headers']!)).toFixed(2)}x`);
}

await main();
