/**
 * Exactly-once consume-transform-produce on the real broker: a process is killed (SIGKILL) after
 * producing an output inside its transaction and before the commit, then a new process takes
 * over. Read with read_committed, the output holds each result exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, HEADERS, NonRetryableError, type Transport } from '@ferry/core';
import { brokers, kafka, message, sleep, spec, subscribe, topicName, waitFor } from './helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];
const transports: Transport[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(transports.map((t) => t.close()));
});

function start(args: string[]): { child: ChildProcess; ready: Promise<void>; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'eo-child.ts'), ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then((how) => reject(new Error(`child exited (${String(how)}) before it was ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited };
}

describe('kafka exactly-once', () => {
  it('a process killed between produce and commit, then restarted, leaves each output exactly once', { timeout: 120_000 }, async () => {
    const input = topicName('eo-in');
    const output = topicName('eo-out');
    const group = topicName('eo-g');
    const producer = kafka({ partitions: 2 });
    transports.push(producer);
    const COUNT = 20;
    const CRASH_AT = 7;
    await producer.send(
      Array.from({ length: COUNT }, (_, n) =>
        message(input, { type: 'eo.input', key: `k${n % 2}`, headers: { 'ferry-content-type': 'application/json' }, payload: new TextEncoder().encode(JSON.stringify({ n })) }),
      ),
    );

    const first = start([input, output, group, String(CRASH_AT)]);
    expect(await first.exited).toBe('SIGKILL');

    const second = start([input, output, group, '-1']);
    await second.ready;

    // read_committed (the transport's consumers read committed records only).
    const reader = kafka({ partitions: 2 });
    transports.push(reader);
    const outputs: Array<{ n: number; pid: number }> = [];
    await subscribe(reader, spec(output, topicName('eo-reader')), (d) => {
      outputs.push(JSON.parse(new TextDecoder().decode(d.envelope.payload)) as { n: number; pid: number });
      void d.ack();
    });
    await waitFor(() => new Set(outputs.map((o) => o.n)).size >= COUNT, 60_000, () => `${COUNT} outputs (${outputs.length})`);
    await sleep(1500); // duplicates, if any, would arrive meanwhile
    second.child.kill('SIGTERM');
    await second.exited;

    expect(outputs.map((o) => o.n).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, n) => n));
    // The crashed input's output came from the second process; the first one's copy was aborted.
    expect(outputs.find((o) => o.n === CRASH_AT)!.pid).toBe(second.child.pid);
    expect(outputs.some((o) => o.pid === first.child.pid)).toBe(true);
  });

  it('a dead letter and the consumed offset are written in one transaction', async () => {
    const topic = topicName('eo-dl');
    const group = topicName('eo-dl-g');
    const Order = defineMessage('eo.order', z.object({ n: z.number() }), { topic });
    const client = await createClient(kafka({ partitions: 1 }));
    let deadLettered = 0;
    try {
      await client
        .consumer({ group, delivery: 'exactly-once', hooks: { onDeadLetter: () => void deadLettered++ } })
        .handle(Order, () => {
          throw new NonRetryableError('recalled item');
        })
        .start();
      await client.producer().publish(Order, { n: 1 });
      await waitFor(() => deadLettered === 1, 15_000, () => 'the dead letter');
      const dead: string[] = [];
      const reader = kafka({ partitions: 1 });
      transports.push(reader);
      await subscribe(reader, spec(`${topic}.dlq`, topicName('eo-dl-reader')), (d) => {
        dead.push(d.envelope.headers[HEADERS.deadLetterReason] ?? '');
        void d.ack();
      });
      await waitFor(() => dead.length === 1, 15_000, () => 'the dead letter read back');
      await sleep(500);
      expect(dead).toEqual(['recalled item']);
      const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        expect(offsets!.partitions[0]!.offset).toBe('1');
        // A transaction's commit marker follows the dead letter (a plain send would end at offset 1).
        const [end] = await admin.fetchTopicOffsets(`${topic}.dlq`);
        expect(end!.high).toBe('2');
      } finally {
        await admin.disconnect();
      }
    } finally {
      await client.close();
    }
  });
});

