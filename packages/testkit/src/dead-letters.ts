import { DEAD_LETTER_GROUP, type Envelope } from '@ferry/core';
import { openSubscription } from '@ferry/core/spi';
import type { CaseEnv } from './env.ts';
import { sleep, waitFor } from './wait.ts';

/**
 * Reads a dead-letter topic the way redrive does (group DEAD_LETTER_GROUP, at the SPI, raw
 * envelopes), acknowledging each. Waits for `count` of them, then a quiet period to catch extras,
 * and returns everything that arrived.
 */
export async function readDeadLetters(env: CaseEnv, deadLetterTopic: string, count: number): Promise<Envelope[]> {
  const transport = await env.transport();
  await transport.connect?.();
  const received: Envelope[] = [];
  const subscription = await openSubscription(
    transport,
    {
      topic: deadLetterTopic,
      group: DEAD_LETTER_GROUP,
      maxInFlight: 16,
      start: { from: 'stored' },
      deadLetterTopic: `${deadLetterTopic}.dlq`,
      handlerTimeoutMs: 60_000,
      orderedByKey: false,
      delivery: 'at-least-once',
    },
    (delivery) => {
      received.push(delivery.envelope);
      void delivery.ack();
    },
  );
  try {
    await waitFor(() => received.length >= count, env.ms(10_000), () => `${count} dead letters on ${deadLetterTopic} (got ${received.length})`);
    await sleep(env.ms(200));
  } finally {
    await subscription.close();
  }
  return received;
}
