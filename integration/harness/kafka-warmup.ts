/**
 * After a fresh Kafka start, the first consumer group and the first transactional producer wait
 * while the broker creates (or loads) __consumer_offsets and __transaction_state, and kafkajs logs
 * "coordinator is not available / loading" errors while it retries. Doing both once here makes
 * the first test as quick and quiet as the others.
 */
import { Kafka, logLevel } from 'kafkajs';
import { withTimeout } from './probes.ts';
import type { BrokerEndpoints } from './types.ts';

export async function warmUpKafka(endpoint: BrokerEndpoints['kafka'], timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'ferry-harness-warmup',
    brokers: endpoint.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    transactionalId: `ferry-harness-warmup-${process.pid}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const run = async () => {
    await admin.connect();
    // Finding a group's coordinator makes the broker create __consumer_offsets. kafkajs's
    // admin.fetchOffsets does not retry the OffsetFetch itself, which a coordinator still taking
    // over the new partition answers with NOT_COORDINATOR (seen on a fresh 3.9.2 under load).
    await retryWhileRetriable(() => admin.fetchOffsets({ groupId: 'ferry-harness-warmup', topics: [] }));
    // A transactional InitProducerId makes it create __transaction_state.
    await producer.connect();
    const transaction = await retryWhileRetriable(() => producer.transaction());
    await transaction.abort(); // nothing was sent: ends client-side
  };
  try {
    await withTimeout(run(), timeoutMs, 'Kafka warm-up (group and transaction coordinators)');
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Runs `fn` again while it fails with an error Kafka marks retriable (the caller bounds the time). */
async function retryWhileRetriable<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
