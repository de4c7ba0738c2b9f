import { HEADERS } from '../spi/envelope.ts';
import type { Coordinates, Delivery } from '../spi/delivery.ts';

/** A dead letter as `filter` and inspection see it: the raw delivery, payload undecoded. */
export type RedriveCandidate = Pick<Delivery, 'envelope' | 'attempt' | 'coordinates'>;

/**
 * One dead letter, read from Ferry's headers (`HEADERS.deadLetter*`, `original*`). The payload
 * stays bytes: a message dead-lettered because it did not decode is shown as it arrived.
 */
export interface DeadLetter {
  readonly id: string;
  readonly type: string;
  readonly key: string | undefined;
  /** When it was published (producer clock, ms). */
  readonly publishedAt: number;
  /** When it was dead-lettered (ms); undefined for a dead letter the broker wrote itself. */
  readonly deadLetteredAt: number | undefined;
  readonly reason: string | undefined;
  /** `handler`, `decode`, `schema`, `timeout`… (NonRetryableError kinds). */
  readonly kind: string | undefined;
  /** Attempts the original consumer made. */
  readonly attempts: number | undefined;
  readonly originalTopic: string | undefined;
  readonly originalGroup: string | undefined;
  /** Where it was read from at its source (partition/offset, queue, message id). */
  readonly originalCoordinates: Coordinates | undefined;
  /** zod issues of a schema failure, as recorded. */
  readonly issues: unknown;
  readonly stack: string | undefined;
  /** `headers` or `payload` when it had to shrink to fit the transport (see fitDeadLetter). */
  readonly truncated: string | undefined;
  /** Every header, Ferry's and the application's. */
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Uint8Array;
  /** Where it is in the dead-letter topic. */
  readonly coordinates: Coordinates;
}

export function describeDeadLetter(candidate: RedriveCandidate): DeadLetter {
  const { envelope } = candidate;
  const h = envelope.headers;
  const atText = h[HEADERS.deadLetterAt];
  const at = atText === undefined ? Number.NaN : Date.parse(atText);
  const attempts = Number(h[HEADERS.deadLetterAttempts]);
  return {
    id: envelope.id,
    type: envelope.type,
    key: envelope.key,
    publishedAt: envelope.timestamp,
    deadLetteredAt: Number.isFinite(at) ? at : undefined,
    reason: h[HEADERS.deadLetterReason],
    kind: h[HEADERS.deadLetterKind],
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : undefined,
    originalTopic: h[HEADERS.originalTopic],
    originalGroup: h[HEADERS.originalGroup],
    originalCoordinates: parseJson(h[HEADERS.originalCoordinates]) as Coordinates | undefined,
    issues: parseJson(h[HEADERS.deadLetterIssues]),
    stack: h[HEADERS.deadLetterStack],
    truncated: h[HEADERS.deadLetterTruncated],
    headers: h,
    payload: envelope.payload,
    coordinates: candidate.coordinates,
  };
}

/** A header that should hold JSON but may not (cut to fit, written by hand): the text then. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
