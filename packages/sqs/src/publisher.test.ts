import { describe, expect, it } from 'vitest';
import type { BatchResultErrorEntry, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { PublishError, type OutgoingMessage } from '@ferry/core';
import { encode } from './codec.ts';
import { resolveConfig } from './options.ts';
import { Publisher, toRequestEntry, type SendBatch } from './publisher.ts';
import type { QueueInfo } from './queues.ts';

const config = resolveConfig(new URL('sqs://us-east-1'), { lingerMs: 5 });
const queue: QueueInfo = { topic: 't', name: 't', url: 'http://sqs/t', fifo: false };
const message = (n: number, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id: `m${n}`, type: 'x', topic: 't', headers: {}, payload: Buffer.from(`{"n":${n}}`), timestamp: 1, ...extra });
const entry = (m: OutgoingMessage) => ({ message: m, encoded: encode(m) });

/** The batch logic in isolation: a scripted SendMessageBatch answer per call (the real one is tested on ElasticMQ). */
function scripted(answers: Array<(entries: SendMessageBatchRequestEntry[]) => BatchResultErrorEntry[]>): { send: SendBatch; calls: string[][] } {
  const calls: string[][] = [];
  const send: SendBatch = async (_url, entries) => {
    calls.push(entries.map((e) => JSON.parse(e.MessageBody!).n as string));
    return (answers.shift() ?? (() => []))(entries);
  };
  return { send, calls };
}

describe('Publisher', () => {
  it('coalesces concurrent publishes into batches of at most 10', async () => {
    const { send, calls } = scripted([]);
    const publisher = new Publisher(config, send);
    await Promise.all(Array.from({ length: 25 }, (_, n) => publisher.publish(queue, entry(message(n)))));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(calls.flat()).toHaveLength(25);
  });

  it('resends only the entries SQS failed on its side, and fails alone the ones it refused', async () => {
    const failOn = (n: number, senderFault: boolean) => (entries: SendMessageBatchRequestEntry[]) =>
      entries.filter((e) => JSON.parse(e.MessageBody!).n === n).map((e) => ({ Id: e.Id!, SenderFault: senderFault, Code: senderFault ? 'InvalidMessageContents' : 'InternalError', Message: 'no' }));
    const { send, calls } = scripted([
      (entries) => [...failOn(2, false)(entries), ...failOn(4, true)(entries)],
      () => [],
    ]);
    const publisher = new Publisher(config, send);
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => publisher.publish(queue, entry(message(n)))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(calls).toEqual([[0, 1, 2, 3, 4], [2]]);
    const reason = (results[4] as PromiseRejectedResult).reason as PublishError;
    expect(reason).toBeInstanceOf(PublishError);
    expect(reason.message).toMatch(/m4.*InvalidMessageContents/);
  });

  it('gives up on an entry that keeps failing on SQS’s side, without failing the others', async () => {
    const always = (entries: SendMessageBatchRequestEntry[]) => entries.filter((e) => JSON.parse(e.MessageBody!).n === 1).map((e) => ({ Id: e.Id!, SenderFault: false, Code: 'ServiceUnavailable' }));
    const { send, calls } = scripted(Array.from({ length: 10 }, () => always));
    const publisher = new Publisher(config, send);
    const results = await Promise.allSettled([0, 1].map((n) => publisher.publish(queue, entry(message(n)))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(calls.length).toBe(6);
    expect(calls.slice(1).every((c) => c.length === 1)).toBe(true);
  });

  it('maps FIFO fields and delays onto the batch entry', () => {
    const fifo = toRequestEntry('0', entry(message(1, { key: 'customer-7' })), true);
    expect(fifo).toMatchObject({ MessageGroupId: 'customer-7', MessageDeduplicationId: 'm1' });
    expect(fifo.DelaySeconds).toBeUndefined();
    expect(toRequestEntry('0', entry(message(1)), true).MessageGroupId).toBe('m1');
    expect(toRequestEntry('0', entry(message(1, { delayMs: 1 })), false).DelaySeconds).toBe(1);
    expect(toRequestEntry('0', entry(message(1, { delayMs: 900_000 })), false).DelaySeconds).toBe(900);
    expect(toRequestEntry('0', entry(message(1)), false)).not.toHaveProperty('MessageGroupId');
    // Core's deduplication id of a dead letter or a redrive wins over the message id.
    expect(toRequestEntry('0', entry(message(1, { deduplicationId: 'm1|redrive|2026' })), true).MessageDeduplicationId).toBe('m1|redrive|2026');
  });

  it('on a FIFO queue, sends one key\'s batches one at a time, in order, and different keys in parallel', async () => {
    const fifo: QueueInfo = { ...queue, fifo: true };
    const inFlight = new Map<string, number>();
    let overlapping = 0;
    let parallel = 0;
    const sent: Array<{ key: string; n: number }> = [];
    const send: SendBatch = async (_url, entries) => {
      const groups = [...new Set(entries.map((e) => e.MessageGroupId!))];
      for (const g of groups) {
        if (inFlight.get(g)) overlapping++;
        inFlight.set(g, (inFlight.get(g) ?? 0) + 1);
      }
      parallel = Math.max(parallel, [...inFlight.values()].filter((v) => v > 0).length);
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 5));
      for (const e of entries) sent.push({ key: e.MessageGroupId!, n: JSON.parse(e.MessageBody!).n as number });
      for (const g of groups) inFlight.set(g, inFlight.get(g)! - 1);
      return [];
    };
    const publisher = new Publisher(config, send);
    await Promise.all(Array.from({ length: 200 }, (_, n) => publisher.publish(fifo, entry(message(n, { key: `k${n % 4}` })))));
    expect(overlapping).toBe(0);
    expect(parallel).toBeGreaterThan(1);
    for (let k = 0; k < 4; k++) {
      const ns = sent.filter((s) => s.key === `k${k}`).map((s) => s.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });
});
