/**
 * The doctor's round trip: a probe topic and group of its own (`ferry-doctor-<random>`), declared
 * as a consumer would (topic, group queue, dead-letter queue), one message through it, then every
 * object made for it deleted again.
 */
import { randomBytes } from 'node:crypto';
import { HEADERS, jsonCodec, type Client } from '@ferry/core';
import type { Delivery, DeliverySink } from '@ferry/core/spi';
import { deleteProbe, kafkaFor } from '../brokers/kafka.ts';
import { amqpConnect, deleteObjects } from '../brokers/rabbitmq.ts';
import { deleteQueues, listQueues, sqsClient, topicQueue } from '../brokers/sqs.ts';
import { within } from '../brokers/reach.ts';

export interface ProbeTimes {
  readonly topic: string;
  /** subscribe: the topic, the group's queue and the dead-letter queue declared (Kafka: the group joined). */
  readonly declareMs: number;
  /** The broker confirmed the publish. */
  readonly publishMs: number;
  /** From publish to delivery. */
  readonly roundTripMs: number;
}

export function probeNames(): { topic: string; group: string } {
  const tag = randomBytes(4).toString('hex');
  return { topic: `ferry-doctor-${tag}`, group: `ferry-doctor-${tag}` };
}

/** Runs the round trip on the client's transport; each step within `timeoutMs`. */
export async function roundTrip(client: Client, names: { topic: string; group: string }, timeoutMs: number, step: (name: string) => void): Promise<ProbeTimes> {
  let delivered: (at: number) => void = () => undefined;
  let died: (error: unknown) => void = () => undefined;
  const arrived = new Promise<number>((resolve, reject) => {
    delivered = resolve;
    died = reject;
  });
  arrived.catch(() => undefined);
  const id = `ferry-doctor-${randomBytes(8).toString('hex')}`;
  let held = 0;
  let stopped = false;
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const sink: DeliverySink = {
    get room() {
      return stopped ? 0 : 8 - held;
    },
    get stopped() {
      return stopped;
    },
    deliver(d: Delivery) {
      held += 1;
      if (d.envelope.id === id) delivered(Date.now());
      void d.ack().catch(() => undefined).finally(() => {
        held -= 1;
        wake();
      });
    },
    whenRoom: () => new Promise<void>((resolve) => waiters.push(resolve)),
    // The probe's subscription died (connection or queue gone): the round trip fails with its reason.
    fail(error: unknown) {
      stopped = true;
      wake();
      died(error);
    },
  };
  step('declare');
  let t = Date.now();
  const subscription = await within(
    timeoutMs,
    'declaring the probe topic and queues',
    client.transport.subscribe(
      { topic: names.topic, group: names.group, maxInFlight: 8, start: { from: 'stored' }, deadLetterTopic: `${names.topic}.dlq`, handlerTimeoutMs: 30_000, orderedByKey: false, delivery: 'at-least-once' },
      sink,
    ),
  );
  try {
    const declareMs = Date.now() - t;
    step('publish');
    t = Date.now();
    await within(timeoutMs, 'publishing the probe message', client.producer().publishEnvelopes([{ id, type: 'ferry.doctor.probe', topic: names.topic, headers: { [HEADERS.contentType]: jsonCodec.contentType }, payload: jsonCodec.encode({ probe: true }), timestamp: t }]));
    const publishMs = Date.now() - t;
    step('receive');
    const at = await within(timeoutMs, 'receiving the probe message', arrived);
    return { topic: names.topic, declareMs, publishMs, roundTripMs: at - t };
  } finally {
    stopped = true;
    wake();
    await subscription.stop?.();
    await subscription.close();
  }
}

/** Deletes what the probe made. Returns what it deleted, for the report. */
export async function cleanUp(url: URL, options: Record<string, unknown>, names: { topic: string; group: string }): Promise<string> {
  const { topic, group } = names;
  if (url.protocol === 'kafka:') {
    const deleted = await deleteProbe(kafkaFor(url, options), topic, [group]);
    return `deleted topics ${deleted.join(', ') || '(none)'} and group ${group}`;
  }
  if (url.protocol === 'amqp:' || url.protocol === 'amqps:') {
    const connection = await amqpConnect(url, options);
    try {
      // The names the RabbitMQ transport gives them (packages/rabbitmq/src/names.ts).
      const queues = [`${topic}.${group}`, `${topic}.dlq.ferry-dead-letters`];
      const exchanges = [topic, `${topic}.delay`, `${topic}.dlq`, `${topic}.dlq.delay`];
      await deleteObjects(connection, queues, exchanges);
      return `deleted queues ${queues.join(', ')} and exchanges ${exchanges.join(', ')}`;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  if (url.protocol === 'sqs:') {
    const sqs = sqsClient(url, options);
    try {
      const queues = await listQueues(sqs, topicQueue(topic, options));
      await deleteQueues(sqs, queues);
      return `deleted queues ${queues.map((q) => q.name).join(', ') || '(none)'}`;
    } finally {
      sqs.destroy();
    }
  }
  return 'nothing to delete (in-process broker)';
}
