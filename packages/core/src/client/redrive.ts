import { randomUUID } from 'node:crypto';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { Delivery } from '../spi/delivery.ts';
import type { Transport } from '../spi/transport.ts';
import { describeDeadLetter, type RedriveCandidate } from './dead-letter-view.ts';
import { selects, type DeadLetterSelector } from './dead-letter-selector.ts';
import { walkDeadLetters } from './dead-letter-walk.ts';
import type { TransportScope } from './transport-scope.ts';

export type { RedriveCandidate } from './dead-letter-view.ts';

export interface RedriveOptions {
  /** The dead-letter topic to drain, e.g. `orders.dlq`. */
  readonly deadLetterTopic: string;
  /** Stop after this many dead letters were looked at (redriven or left). */
  readonly limit?: number;
  /** Stop when no dead letter arrived for this long. Default 1,000 ms. */
  readonly idleMs?: number;
  /** Only these (reason or kind, type, original topic, age); the others stay in the dead letter. */
  readonly select?: DeadLetterSelector;
  /** Return false to leave a message in the dead letter (with `select`, both must agree). */
  readonly filter?: (deadLetter: RedriveCandidate) => boolean;
  /** Count what would be redriven and change nothing: every dead letter is given back. */
  readonly dryRun?: boolean;
  /** Called after each dead letter looked at (progress output). */
  readonly onProgress?: (progress: RedriveResult) => void;
}

export interface RedriveResult {
  /** Sent back to their topic (with dryRun: would be). */
  readonly redriven: number;
  /** Left in the dead letter: not selected, or a payload left out to fit the transport. */
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

/** Dead letters in flight at once: enough to hold the ones left in place while the walk goes on. */
const WINDOW = 1000;

/**
 * Moves dead letters back to the topic they came from (header `ferry-original-topic`) with their
 * id, key and payload, as a first attempt. Every group of that topic sees them again: groups that
 * had handled them drop them through their idempotency store. A dead-letter topic the broker does
 * not have is a NotFoundError (FERRY_NOT_FOUND), and nothing is created.
 */
export async function redrive(transport: Transport, options: RedriveOptions, scope: TransportScope = (work) => work()): Promise<RedriveResult> {
  let redriven = 0;
  let skipped = 0;
  const now = Date.now();
  await walkDeadLetters(
    transport,
    { deadLetterTopic: options.deadLetterTopic, idleMs: options.idleMs ?? 1000, limit: options.limit ?? Number.POSITIVE_INFINITY, maxInFlight: WINDOW, orderedByKey: false },
    async (delivery) => {
      // A dead letter whose payload was left out to fit the transport cannot be redriven (it has no payload).
      const wanted =
        delivery.envelope.headers[HEADERS.deadLetterTruncated] !== 'payload' &&
        (options.select === undefined || selects(options.select, describeDeadLetter(delivery), now)) &&
        (options.filter === undefined || options.filter(delivery));
      if (!wanted) skipped++;
      else redriven++;
      options.onProgress?.({ redriven, skipped });
      if (options.dryRun) return 'hold';
      if (!wanted) return 'skip';
      // In the plugins' scope: the copy keeps the trace context it was dead-lettered with.
      await scope(async () => {
        await transport.send([restored(delivery)]);
        await delivery.ack();
      });
      return 'settled';
    },
  );
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
