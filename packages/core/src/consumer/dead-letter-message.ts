import { NonRetryableError, SchemaError } from '../errors.ts';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { Delivery } from '../spi/transport.ts';

const MAX_STACK = 4000;

/**
 * The copy sent to the dead-letter topic: same id, type, key and payload bytes; the reason, the
 * stack, the attempts and where it came from in headers. The ordering key is kept, so a redrive
 * keeps per-key order.
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
  };
}
