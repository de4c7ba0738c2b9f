/** Making sure a broker answers: what `capabilities` and `doctor` do before saying anything about it. */
import { FerryError, type Client } from '@ferry/core';
import { listQueues, sqsClient } from './sqs.ts';

/**
 * Adapter options that make a diagnosis fail in seconds rather than retry for long (kafkajs
 * retries a refused connection 8 times, RabbitMQ's first connect keeps trying 10 s); the
 * operator's own options win.
 */
export function fastFailOptions(url: URL, given: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> =
    url.protocol === 'kafka:' ? { retry: { retries: 1, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 }, logLevel: 'nothing' } : url.protocol.startsWith('amqp') ? { connectTimeoutMs: 5_000 } : url.protocol === 'sqs:' ? { maxAttempts: 1, waitTimeSeconds: 1 } : {};
  return { ...defaults, ...given };
}

/**
 * Connects the client's transport, and on SQS (whose SDK connects per request) lists the queues
 * once, so wrong credentials or an endpoint nobody answers on fail here.
 */
export async function reach(client: Client, url: URL, options: Record<string, unknown>): Promise<void> {
  await client.transport.connect?.();
  if (url.protocol === 'sqs:') {
    const sqs = sqsClient(url, options);
    try {
      await listQueues(sqs, 'ferry-doctor');
    } finally {
      sqs.destroy();
    }
  }
}

/** `work`, or a FERRY_TIMEOUT error naming `what` once `ms` passed. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FerryError('FERRY_TIMEOUT', `${what}: no answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
