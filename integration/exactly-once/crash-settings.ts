/** Settings shared by crash.test.ts and its child processes. */
import type { KafkaOptions } from '@ferry/kafka';
import type { SqsOptions } from '@ferry/sqs';

export type CrashBroker = 'kafka' | 'rabbitmq' | 'sqs';
export type CrashMode = 'inbox' | 'redis';

export const CRASH_SETTINGS = {
  /** Handlers at once in each child. */
  concurrency: 32,
  /** The Redis store's lease: how soon a killed holder's claims are taken over. */
  leaseMs: 2_500,
  /** Partitions enough that two children share the work (one partition's deliveries run one at a time under transactions). */
  kafka: { partitions: 16 } satisfies KafkaOptions,
  /**
   * A killed child's messages come back after the visibility timeout; the broker-side dead letter
   * must not take a message that was only ever interrupted by kills.
   */
  sqs: { visibilityTimeoutSeconds: 5, maxReceiveCount: 1_000 } satisfies SqsOptions,
} as const;
