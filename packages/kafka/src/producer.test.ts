import { describe, expect, it } from 'vitest';
import { PublishError, type Envelope } from '@ferry/core';
import type { DriverProducer, ProducerRecord } from './driver.ts';
import { resolveConfig } from './options.ts';
import { BatchingProducer } from './producer.ts';

/** What kafkajs raises when the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER. */
function sequenceError(): Error {
  return Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false });
}

/** A stand-in for kafkajs's producer that fails its sends with `failWith` (a unit test of the recovery, not of Kafka). */
class FakeProducer {
  readonly sent: string[] = [];
  connected = false;
  disconnected = false;
  constructor(private readonly failWith: (() => Error) | undefined) {}
  async connect() {
    this.connected = true;
  }
  async disconnect() {
    this.disconnected = true;
  }
  async sendBatch(batch: { topicMessages?: Array<{ messages: Array<{ value: Buffer | string | null }> }> }) {
    if (this.failWith) throw this.failWith();
    for (const t of batch.topicMessages ?? []) for (const m of t.messages) this.sent.push(String(m.value));
    return [];
  }
  async transaction(): Promise<never> {
    throw new Error('not used');
  }
}

function record(n: number): [ProducerRecord, Envelope] {
  const value = Buffer.from(`m${n}`);
  return [
    { topic: 't', key: null, value, headers: {}, timestamp: '0' },
    { id: `id-${n}`, type: 'x', topic: 't', key: undefined, headers: {}, payload: value, timestamp: 0 },
  ];
}

function producerWith(fakes: FakeProducer[]): BatchingProducer {
  const config = resolveConfig(new URL('kafka://127.0.0.1:9092'), {});
  let next = 0;
  return new BatchingProducer(() => fakes[next++] as unknown as DriverProducer, config);
}

describe('BatchingProducer', () => {
  it('resends a batch on a fresh producer when the broker answers out of sequence, and keeps using the fresh one', async () => {
    const broken = new FakeProducer(sequenceError);
    const fresh = new FakeProducer(undefined);
    const producer = producerWith([broken, fresh]);
    const [r1, e1] = record(1);
    const [r2, e2] = record(2);
    await producer.send([r1, r2], [e1, e2]);
    expect(fresh.sent).toEqual(['m1', 'm2']);
    expect(fresh.connected).toBe(true);
    expect(broken.disconnected).toBe(true);
    expect(producer.replacements).toBe(1);
    const [r3, e3] = record(3);
    await producer.send([r3], [e3]);
    expect(fresh.sent).toEqual(['m1', 'm2', 'm3']);
    expect(producer.replacements).toBe(1);
  });

  it('fails the publish with a PublishError when the fresh producer is out of sequence too (no endless replacing)', async () => {
    const producer = producerWith([new FakeProducer(sequenceError), new FakeProducer(sequenceError), new FakeProducer(undefined)]);
    const [r, e] = record(1);
    const error = await producer.send([r], [e]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PublishError);
    expect(String(error)).toMatch(/out of order sequence number/);
    expect(producer.replacements).toBe(1);
  });

  it('does not replace the producer for other errors', async () => {
    const producer = producerWith([new FakeProducer(() => new Error('boom')), new FakeProducer(undefined)]);
    const [r, e] = record(1);
    await expect(producer.send([r], [e])).rejects.toThrow(/Kafka did not accept the publish: boom/);
    expect(producer.replacements).toBe(0);
  });
});
