import { randomUUID } from 'node:crypto';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { Delivery } from '../spi/delivery.ts';
import { DEAD_LETTER_GROUP, type Transport } from '../spi/transport.ts';
import { openSubscription } from './guarded-transport.ts';
import type { TransportScope } from './transport-scope.ts';

export interface RedriveOptions {
  /** The dead-letter topic to drain, e.g. `orders.dlq`. */
  readonly deadLetterTopic: string;
  /** Stop after this many messages. */
  readonly limit?: number;
  /** Stop when no dead letter arrived for this long. Default 1,000 ms. */
  readonly idleMs?: number;
  /** Return false to leave a message in the dead letter. */
  readonly filter?: (deadLetter: RedriveCandidate) => boolean;
}

/** A dead letter as `filter` sees it. */
export type RedriveCandidate = Pick<Delivery, 'envelope' | 'attempt' | 'coordinates'>;

export interface RedriveResult {
  readonly redriven: number;
  readonly skipped: number;
}

const DEAD_LETTER_HEADERS = new Set<string>([
  HEADERS.deadLetterReason,
  HEADERS.deadLetterKind,
  HEADERS.deadLetterStack,
  HEADERS.deadLetterIssues,
  HEADERS.deadLetterAttempts,
  HEADERS.deadLetterAt,
  HEADERS.deadLetterTruncated,
  HEADERS.deadLetterPayloadBytes,
  HEADERS.deadLetterPayloadSha256,
  HEADERS.originalTopic,
  HEADERS.originalGroup,
  HEADERS.originalCoordinates,
]);

/**
 * Moves dead letters back to the topic they came from (header `ferry-original-topic`) with their
 * id, key and payload, as a first attempt. Every group of that topic sees them again: groups that
 * had handled them drop them through their idempotency store.
 */
export async function redrive(transport: Transport, options: RedriveOptions, scope: TransportScope = (work) => work()): Promise<RedriveResult> {
  const idleMs = options.idleMs ?? 1000;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let redriven = 0;
  let skipped = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(finish, idleMs);
  };
  let chain = Promise.resolve();
  const subscription = await openSubscription(
    transport,
    { topic: options.deadLetterTopic, group: DEAD_LETTER_GROUP, maxInFlight: 1, start: { from: 'stored' }, deadLetterTopic: `${options.deadLetterTopic}.dlq`, handlerTimeoutMs: 60_000, orderedByKey: true, delivery: 'at-least-once' },
    (delivery) => {
      // One at a time, in order, so a redrive keeps per-key order and the limit is exact.
      chain = chain.then(async () => {
        if (redriven + skipped >= limit) return;
        armIdle();
        // A dead letter whose payload was left out to fit the transport cannot be redriven (it has no payload).
        if (delivery.envelope.headers[HEADERS.deadLetterTruncated] === 'payload' || (options.filter && !options.filter(delivery))) {
          skipped++;
          await delivery.nack(idleMs * 2); // stays in the dead letter, out of this run's way
        } else {
          // In the plugins' scope: the copy keeps the trace context it was dead-lettered with.
          await scope(async () => {
            await transport.send([restored(delivery)]);
            await delivery.ack();
          });
          redriven++;
        }
        if (redriven + skipped >= limit) finish();
      });
    },
  );
  armIdle();
  await done;
  clearTimeout(idleTimer);
  await subscription.stop?.();
  await chain;
  await subscription.close();
  return { redriven, skipped };
}

/**
 * The message as it was published, back to its topic. Its deduplication id names this dead letter
 * (id and dead-letter time): a redrive repeated after a crash is dropped by a broker with a dedup
 * window, a later dead letter of the same message is not. A dead letter the broker wrote itself
 * (no dead-letter time) gets a fresh one.
 */
function restored(delivery: Delivery): OutgoingMessage {
  const { envelope } = delivery;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(envelope.headers)) if (!DEAD_LETTER_HEADERS.has(name)) headers[name] = value;
  const topic = envelope.headers[HEADERS.originalTopic] ?? envelope.topic.replace(/\.dlq$/, '');
  const deadLetterAt = envelope.headers[HEADERS.deadLetterAt];
  const deduplicationId = deadLetterAt === undefined ? randomUUID() : `${envelope.id}|redrive|${deadLetterAt}`;
  return { id: envelope.id, type: envelope.type, topic, key: envelope.key, headers, payload: envelope.payload, timestamp: envelope.timestamp, deduplicationId };
}
