import type { Transport } from '../spi/transport.ts';
import { describeDeadLetter, type DeadLetter } from './dead-letter-view.ts';
import { selects, type DeadLetterSelector } from './dead-letter-selector.ts';
import { walkDeadLetters } from './dead-letter-walk.ts';

export interface InspectOptions {
  readonly deadLetterTopic: string;
  /** Stop when no dead letter arrived for this long. Default 1,000 ms. */
  readonly idleMs?: number;
  /** Read at most this many (they are all held until the end). Default 10,000. */
  readonly max?: number;
}

export interface Inspection {
  readonly deadLetters: readonly DeadLetter[];
  /** `max` were read: more may wait behind them. */
  readonly more: boolean;
}

/**
 * Reads a dead-letter topic without consuming it: every dead letter is held until the end, then
 * given back (requeued, made visible again; on Kafka no offset is committed). The broker may count
 * that as a delivery (SQS's receive count, RabbitMQ's delivery count). NotFoundError when the topic
 * does not exist.
 */
export async function inspectDeadLetters(transport: Transport, options: InspectOptions): Promise<Inspection> {
  const max = options.max ?? 10_000;
  const deadLetters: DeadLetter[] = [];
  const result = await walkDeadLetters(
    transport,
    { deadLetterTopic: options.deadLetterTopic, idleMs: options.idleMs ?? 1000, limit: max, maxInFlight: max, orderedByKey: false },
    async (delivery) => {
      deadLetters.push(describeDeadLetter(delivery));
      return 'hold';
    },
  );
  return { deadLetters, more: result.full || result.visited >= max };
}

export interface PurgeOptions {
  readonly deadLetterTopic: string;
  readonly idleMs?: number;
  readonly limit?: number;
  /** Only these; the others stay. */
  readonly select?: DeadLetterSelector;
  readonly onProgress?: (progress: { purged: number; skipped: number }) => void;
}

/** Acknowledges dead letters for good (they are not redriven). NotFoundError when the topic does not exist. */
export async function purgeDeadLetters(transport: Transport, options: PurgeOptions): Promise<{ purged: number; skipped: number }> {
  let purged = 0;
  let skipped = 0;
  const now = Date.now();
  await walkDeadLetters(
    transport,
    { deadLetterTopic: options.deadLetterTopic, idleMs: options.idleMs ?? 1000, limit: options.limit ?? Number.POSITIVE_INFINITY, maxInFlight: 1000, orderedByKey: false },
    async (delivery) => {
      const wanted = options.select === undefined || selects(options.select, describeDeadLetter(delivery), now);
      if (wanted) {
        await delivery.ack();
        purged++;
      } else skipped++;
      options.onProgress?.({ purged, skipped });
      return wanted ? 'settled' : 'skip';
    },
  );
  return { purged, skipped };
}
