import { randomBytes } from 'node:crypto';

/** Unique for this process: a run's topics and queues never collide with another run's. */
const RUN_ID = `${Date.now().toString(36)}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
let counter = 0;

/**
 * A name unique to this run and call, safe as a Kafka topic, AMQP queue, SQS queue
 * (<= 80 chars, [A-Za-z0-9_-]) or consumer group: `<prefix>-<run>-<n>`.
 * Append `.fifo` yourself for SQS FIFO queues (leave room: the prefix is cut to keep the total short).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  return `${clean}-${RUN_ID}-${counter}`;
}
