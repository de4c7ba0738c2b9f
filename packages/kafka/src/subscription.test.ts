import { DeliveryGate, silentLogger, type Delivery, type SubscriptionSpec } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { FakeConsumer, fakeDriver, record } from './fake-consumer.ts';
import { resolveConfig } from './options.ts';
import type { BatchingProducer } from './producer.ts';
import { KafkaSubscription } from './subscription.ts';
import type { TransactionalProducers } from './transactions.ts';

const spec: SubscriptionSpec = { topic: 'orders', group: 'g', maxInFlight: 2, start: { from: 'stored' }, deadLetterTopic: 'orders.dlq', handlerTimeoutMs: 1000, orderedByKey: true, delivery: 'at-least-once' };

async function started(assignment: Record<string, number[]> = { orders: [0, 1], 'orders.g.retry': [0] }) {
  const consumer = new FakeConsumer();
  const handed: Delivery[] = [];
  const gate = new DeliveryGate(spec.maxInFlight, (d) => void handed.push(d));
  const closed: string[] = [];
  const transactions = { release: async () => undefined, closeAll: async () => void closed.push('transactional producers') } as unknown as TransactionalProducers;
  const subscription = new KafkaSubscription(spec, gate, {
    driver: fakeDriver(consumer),
    config: resolveConfig(new URL('kafka://127.0.0.1:9092'), { consumer: { heartbeatIntervalMs: 50, rebalanceTimeoutMs: 1000 } }),
    producer: { send: async () => undefined } as unknown as BatchingProducer,
    transactions,
    prepare: async () => [],
    seekTo: new Map(),
    admin: () => Promise.reject(new Error('no admin in unit tests')),
    logger: () => silentLogger,
  });
  const starting = subscription.start();
  await new Promise((r) => setTimeout(r, 0));
  consumer.join(assignment);
  await starting;
  return { consumer, gate, handed, subscription, closed };
}

const texts = (ds: Delivery[]) => ds.map((d) => Buffer.from(d.envelope.payload).toString());
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('KafkaSubscription', () => {
  it('hands fetched records to core only while it has room, and the rest as deliveries settle', async () => {
    const { consumer, handed } = await started();
    await consumer.batch('orders', 0, [0, 1, 2, 3, 4].map((o) => record('orders', o, `m${o}`)));
    expect(texts(handed)).toEqual(['m0', 'm1']);
    await handed[0]!.ack();
    await tick();
    expect(texts(handed)).toEqual(['m0', 'm1', 'm2']);
    await Promise.all(handed.slice(1).map((d) => d.ack()));
    await tick();
    await handed[3]!.ack();
    await tick();
    expect(texts(handed)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(handed.map((d) => d.coordinates)).toEqual([0, 1, 2, 3, 4].map((offset) => ({ topic: 'orders', partition: 0, offset })));
    expect(handed.every((d) => d.serialKey === 'orders:0' && typeof d.transact === 'function')).toBe(true);
  });

  it('holds a retry copy until its due time, then hands it with its attempt', async () => {
    const { consumer, handed } = await started();
    await consumer.batch('orders.g.retry', 0, [record('orders', 0, 'again', { recordTopic: 'orders.g.retry', attempt: 2, dueAt: Date.now() + 80 })]);
    expect(handed).toEqual([]);
    await tick(120);
    expect(texts(handed)).toEqual(['again']);
    expect(handed[0]!.attempt).toBe(2);
    expect(handed[0]!.envelope.topic).toBe('orders');
  });

  it("drops a revoked partition's buffered records: the next owner fetches them", async () => {
    const { consumer, handed } = await started();
    await consumer.batch('orders', 1, [0, 1, 2].map((o) => record('orders', o, `p1-${o}`)));
    expect(texts(handed)).toEqual(['p1-0', 'p1-1']);
    consumer.join({ orders: [0] });
    await Promise.all(handed.map((d) => d.ack()));
    await tick();
    expect(texts(handed)).toEqual(['p1-0', 'p1-1']);
  });

  it('after stop nothing more is handed; close leaves the group and closes the transactional producers', async () => {
    const { consumer, handed, subscription, closed } = await started();
    await consumer.batch('orders', 0, [0, 1, 2].map((o) => record('orders', o, `m${o}`)));
    await subscription.stop();
    await handed[0]!.ack();
    await tick();
    expect(handed).toHaveLength(2);
    await subscription.close();
    expect(consumer.disconnected).toBe(true);
    expect(closed).toEqual(['transactional producers']);
  });
});
