import { createHash, randomUUID } from 'node:crypto';
import { NonRetryableError, SchemaError } from '../errors.ts';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import { envelopeSize } from '../spi/size.ts';
import type { Delivery } from '../spi/delivery.ts';

const MAX_STACK = 4000;

/**
 * The copy sent to the dead-letter topic: same id, type, key and payload bytes; the reason, the
 * stack, the attempts and where it came from in headers. The ordering key is kept, so a redrive
 * keeps per-key order. Its deduplication id is new: the message id was used by the publish, and
 * every try of this one dead-lettering shares it (a broker with a dedup window keeps one copy).
 */
export function deadLetterMessage(
  delivery: Delivery,
  error: unknown,
  context: { deadLetterTopic: string; group: string; includeStack: boolean },
): OutgoingMessage {
  const { envelope } = delivery;
  const err = error instanceof Error ? error : new Error(String(error));
  const headers: Record<string, string> = {
    ...envelope.headers,
    [HEADERS.deadLetterReason]: err.message,
    [HEADERS.deadLetterKind]: err instanceof NonRetryableError ? err.kind : 'handler',
    [HEADERS.deadLetterAttempts]: String(delivery.attempt),
    [HEADERS.deadLetterAt]: new Date().toISOString(),
    [HEADERS.originalTopic]: envelope.topic,
    [HEADERS.originalGroup]: context.group,
    [HEADERS.originalCoordinates]: JSON.stringify(delivery.coordinates),
  };
  if (err instanceof SchemaError) headers[HEADERS.deadLetterIssues] = JSON.stringify(err.issues);
  if (context.includeStack && err.stack) headers[HEADERS.deadLetterStack] = err.stack.slice(0, MAX_STACK);
  delete headers[HEADERS.attempt];
  return {
    id: envelope.id,
    type: envelope.type,
    topic: context.deadLetterTopic,
    key: envelope.key,
    headers,
    payload: envelope.payload,
    timestamp: envelope.timestamp,
    deduplicationId: randomUUID(),
  };
}

/** Longest reason kept when a dead letter has to shrink to fit. */
const SHORT_REASON = 1000;

/**
 * A dead letter that fits in `limit` bytes: the stack, the zod issues and the reason are cut first;
 * if the payload alone is too large, it is left out and its size and SHA-256 go in headers (the
 * original coordinates stay, so the message can be found at its source where the broker keeps it).
 * Returns the copy unchanged when it fits.
 */
export function fitDeadLetter(copy: OutgoingMessage, limit: number): OutgoingMessage {
  if (envelopeSize(copy) <= limit) return copy;
  const headers: Record<string, string> = { ...copy.headers };
  delete headers[HEADERS.deadLetterStack];
  if (headers[HEADERS.deadLetterIssues] !== undefined) headers[HEADERS.deadLetterIssues] = truncate(headers[HEADERS.deadLetterIssues]!, SHORT_REASON);
  if (headers[HEADERS.deadLetterReason] !== undefined) headers[HEADERS.deadLetterReason] = truncate(headers[HEADERS.deadLetterReason]!, SHORT_REASON);
  headers[HEADERS.deadLetterTruncated] = 'headers';
  const smaller = { ...copy, headers };
  if (envelopeSize(smaller) <= limit) return smaller;
  headers[HEADERS.deadLetterTruncated] = 'payload';
  headers[HEADERS.deadLetterPayloadBytes] = String(copy.payload.byteLength);
  headers[HEADERS.deadLetterPayloadSha256] = createHash('sha256').update(copy.payload).digest('hex');
  delete headers[HEADERS.deadLetterIssues];
  return { ...copy, headers, payload: new Uint8Array(0) };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters cut to fit the transport's size limit)`;
}
