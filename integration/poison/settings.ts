/** Settings shared by poison.test.ts and its child processes. */
import type { KafkaOptions } from '@ferry/kafka';
import type { RabbitMqOptions } from '@ferry/rabbitmq';

export type PoisonBroker = 'kafka' | 'rabbitmq';

export const POISON_SETTINGS = {
  /** How long a killed child's delivery lease holds the redelivery back before it counts. */
  leaseMs: 1_000,
  /** One partition: the good messages wait behind the poison (the consumer takes them in order). */
  kafka: { partitions: 1 } satisfies KafkaOptions,
  /** A classic queue keeps no delivery count: only the store can count the crashes. */
  rabbitmq: { queueType: 'classic' } satisfies RabbitMqOptions,
} as const;
