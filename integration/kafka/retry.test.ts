/**
 * nack(delay) through the group's retry topic on the real broker: the delay is honoured, other
 * keys (even in the same partition) keep flowing meanwhile, and only the nacking group sees the copy.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Transport } from '@ferry/core';
import type { Delivery } from '@ferry/core/spi';
import { brokers, kafka, message, sleep, spec, subscribe, topicName, waitFor } from './helpers.ts';

const transports: Transport[] = [];
afterAll(() => Promise.all(transports.map((t) => t.close())));

describe('kafka retry topics', () => {
  it('redelivers after the delay with attempt + 1 while later messages of other keys in the same partition are handled', async () => {
    const topic = topicName('retry');
    const group = topicName('retry-g');
    const other = topicName('retry-other');
    // One partition: a blocked partition would hold every other key back.
    const transport = kafka({ partitions: 1 });
    const watcher = kafka({ partitions: 1 });
    transports.push(transport, watcher);
    const DELAY = 1500;
    const log: Array<{ key: string; attempt: number; at: number }> = [];
    let nackedAt = 0;
    await subscribe(transport, spec(topic, group, { maxInFlight: 4 }), (d: Delivery) => {
      log.push({ key: d.envelope.key!, attempt: d.attempt, at: Date.now() });
      if (d.envelope.key === 'slow' && d.attempt === 1) {
        nackedAt = Date.now();
        void d.nack(DELAY);
      } else {
        void d.ack();
      }
    });
    const otherGroup: Delivery[] = [];
    await subscribe(watcher, spec(topic, other), (d) => {
      otherGroup.push(d);
      void d.ack();
    });
    await transport.send([message(topic, { key: 'slow', headers: { 'x-kept': 'yes' } })]);
    await waitFor(() => nackedAt > 0, 15_000, () => 'the first attempt');
    for (let n = 0; n < 20; n++) await transport.send([message(topic, { key: `fast-${n}` })]);
    await waitFor(() => log.filter((l) => l.key.startsWith('fast-')).length === 20, 10_000, () => 'the 20 later messages');
    const fastDone = Date.now();
    await waitFor(() => log.some((l) => l.key === 'slow' && l.attempt === 2), 15_000, () => 'the retry');
    const retry = log.find((l) => l.key === 'slow' && l.attempt === 2)!;
    expect(fastDone).toBeLessThan(nackedAt + DELAY); // not held up behind the delayed retry
    expect(retry.at - nackedAt).toBeGreaterThanOrEqual(DELAY);
    expect(log.filter((l) => l.key === 'slow').map((l) => l.attempt)).toEqual([1, 2]);
    await sleep(500);
    // The other group saw the original once, and no retry copy.
    expect(otherGroup.filter((d) => d.envelope.key === 'slow').map((d) => d.attempt)).toEqual([1]);
    expect(otherGroup).toHaveLength(21);
  });

  it('exactly-once: the retry copy and the consumed offset are written in one transaction', async () => {
    const topic = topicName('eo-retry');
    const group = topicName('eo-retry-g');
    const transport = kafka({ partitions: 1 });
    transports.push(transport);
    const seen: Delivery[] = [];
    await subscribe(transport, spec(topic, group, { maxInFlight: 4, delivery: 'exactly-once' }), (d) => {
      seen.push(d);
      if (d.attempt === 1) void d.nack(100);
      else void d.ack();
    });
    await transport.send([message(topic, { key: 'k' })]);
    await waitFor(() => seen.length === 2, 15_000, () => `the retry (${seen.length})`);
    expect(seen.map((d) => [d.envelope.id, d.attempt])).toEqual([
      [seen[0]!.envelope.id, 1],
      [seen[0]!.envelope.id, 2],
    ]);
    const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // The offset after the nacked message was committed (by the transaction, with the copy)...
      const [main] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(main!.partitions[0]!.offset).toBe('1');
      // ...and the copy is followed by a transaction commit marker in the retry topic: it was
      // written transactionally (a plain producer's copy would end the partition at offset 1).
      const [retry] = await admin.fetchTopicOffsets(`${topic}.${group}.retry`);
      expect(retry!.high).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });
});

