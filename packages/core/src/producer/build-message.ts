import { randomUUID } from 'node:crypto';
import type { Codec } from '../codec.ts';
import { checkOutgoing } from '../capability-check.ts';
import { SchemaError } from '../errors.ts';
import type { MessageDefinition, PayloadIn } from '../message.ts';
import { toSchemaIssues } from '../schema-issues.ts';
import { safeParseSync, type ParseResult } from '../schema-parse.ts';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import { parseOptions } from '../config/parse.ts';
import { publishOptionsSchema, type PublishOptions, type ResolvedPublishOptions } from './publish-options.ts';

/**
 * Validates and encodes one publish into the envelope a transport sends. Everything that can be
 * refused is refused here, before any byte leaves: bad options, schema, capability, size.
 */
export function buildMessage<M extends MessageDefinition>(
  /** What the message is checked against; undefined only with `check` false (an outbox row, sent later by a relay). */
  transport: Transport | undefined,
  codec: Codec,
  message: M,
  payload: PayloadIn<M>,
  rawOptions: PublishOptions | undefined,
  /** False when publish middleware follows: the stack's `check` step checks after it (it may add headers). */
  check = true,
): OutgoingMessage | Promise<OutgoingMessage> {
  // Most publishes pass no options: skip the parse for them (it is per message).
  const options = rawOptions === undefined ? {} : parseOptions(publishOptionsSchema, rawOptions, 'publish options');
  const parsed = safeParseSync(message.schema, payload);
  // A schema with async refinements makes this one publish async; the rest stay synchronous.
  if (parsed === undefined) return message.schema.safeParseAsync(payload).then((result) => finish(transport, codec, message, payload, options, result, check));
  return finish(transport, codec, message, payload, options, parsed, check);
}

function finish(transport: Transport | undefined, codec: Codec, message: MessageDefinition, payload: unknown, options: ResolvedPublishOptions, parsed: ParseResult, check: boolean): OutgoingMessage {
  if (!parsed.success) throw new SchemaError(message.type, toSchemaIssues(parsed.error));
  const outgoing: OutgoingMessage = {
    id: options.id ?? randomUUID(),
    type: message.type,
    topic: message.topic,
    key: options.key,
    headers: { ...options.headers, [HEADERS.contentType]: codec.contentType },
    // Encode what the caller gave (not zod's output): transforms run on the consumer side.
    payload: codec.encode(payload),
    timestamp: Date.now(),
    delayMs: options.delayMs,
    priority: options.priority,
  };
  // The transport's own send checks again (it also sends dead letters and redrives core builds
  // elsewhere); here the refusal comes before anything of a batch is sent, on any transport.
  if (check && transport) checkOutgoing(transport, outgoing);
  return outgoing;
}
