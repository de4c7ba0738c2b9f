import type { MessageContext, OutgoingMessage } from '@ferry/core';
import { redactText } from '@ferry/core';
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_FERRY_DELIVERY_ATTEMPT,
  ATTR_FERRY_MESSAGE_TYPE,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_DESTINATION_SUBSCRIPTION_NAME,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
  ATTR_MESSAGING_SYSTEM,
  ERROR_TYPE_VALUE_OTHER,
  MESSAGING_OPERATION_TYPE_VALUE_CREATE,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_AWS_SQS,
  MESSAGING_SYSTEM_VALUE_KAFKA,
  MESSAGING_SYSTEM_VALUE_RABBITMQ,
} from './semconv.ts';

/** `messaging.system` for a Ferry transport: the conventions' names for the brokers, the transport's name otherwise (`memory`). */
export function messagingSystem(transport: string): string {
  switch (transport) {
    case 'kafka':
      return MESSAGING_SYSTEM_VALUE_KAFKA;
    case 'rabbitmq':
      return MESSAGING_SYSTEM_VALUE_RABBITMQ;
    case 'sqs':
      return MESSAGING_SYSTEM_VALUE_AWS_SQS;
    default:
      return transport;
  }
}

/** What a `send` (or `create`) span says about one message. */
export function messageAttributes(system: string, m: OutgoingMessage, operation: 'send' | 'create'): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: system,
    [ATTR_MESSAGING_OPERATION_TYPE]: operation === 'send' ? MESSAGING_OPERATION_TYPE_VALUE_SEND : MESSAGING_OPERATION_TYPE_VALUE_CREATE,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
    [ATTR_MESSAGING_DESTINATION_NAME]: m.topic,
    [ATTR_MESSAGING_MESSAGE_ID]: m.id,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: m.payload.byteLength,
    [ATTR_FERRY_MESSAGE_TYPE]: m.type,
  };
  if (system === MESSAGING_SYSTEM_VALUE_KAFKA && m.key !== undefined) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = m.key;
  return attributes;
}

/** The `send` span of several messages: the destination only when they share one. */
export function batchAttributes(system: string, topic: string | undefined, count: number): Attributes {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: system,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: count,
  };
  if (topic !== undefined) attributes[ATTR_MESSAGING_DESTINATION_NAME] = topic;
  return attributes;
}

/** What a `process` span says at its start (the attributes a sampler may look at). */
export function processAttributes(system: string, ctx: MessageContext): Attributes {
  const envelope = ctx.envelope;
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: system,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [ATTR_MESSAGING_DESTINATION_NAME]: envelope.topic,
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: ctx.group,
    [ATTR_MESSAGING_MESSAGE_ID]: envelope.id,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: envelope.payload.byteLength,
    [ATTR_FERRY_MESSAGE_TYPE]: envelope.type,
    [ATTR_FERRY_DELIVERY_ATTEMPT]: ctx.attempt,
  };
  if (system === MESSAGING_SYSTEM_VALUE_KAFKA && envelope.key !== undefined) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = envelope.key;
  return attributes;
}

/**
 * Where the message was on the broker (partition and offset on Kafka, queue and routing key on
 * RabbitMQ, queue on SQS), from the delivery's coordinates. Set only on recording spans: some
 * adapters build their coordinates when first asked.
 */
export function setCoordinates(span: Span, system: string, ctx: MessageContext): void {
  const c = ctx.coordinates;
  if (c.partition !== undefined) span.setAttribute(ATTR_MESSAGING_DESTINATION_PARTITION_ID, String(c.partition));
  if (system === MESSAGING_SYSTEM_VALUE_KAFKA && typeof c.offset === 'number') span.setAttribute(ATTR_MESSAGING_KAFKA_OFFSET, c.offset);
  if (typeof c.queue === 'string') span.setAttribute(ATTR_MESSAGING_DESTINATION_SUBSCRIPTION_NAME, c.queue);
  if (system === MESSAGING_SYSTEM_VALUE_RABBITMQ && typeof c.routingKey === 'string') span.setAttribute(ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, c.routingKey);
}

/**
 * `error.type`: the error's class name (Ferry's errors name theirs: SchemaError, DecodeError,
 * HandlerTimeoutError, NonRetryableError, PublishError...), `_OTHER` for a thrown non-Error.
 */
export function errorType(error: unknown): string {
  if (!(error instanceof Error)) return ERROR_TYPE_VALUE_OTHER;
  if (error.name && error.name !== 'Error') return error.name;
  return error.constructor?.name || 'Error';
}

/** Marks a span failed: status, `error.type` and the exception event, credentials in the text masked. */
export function recordFailure(span: Span, error: unknown, type: string = errorType(error)): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  const message = redactText(error instanceof Error ? error.message : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.recordException(error instanceof Error ? { name: type, message, stack: error.stack === undefined ? undefined : redactText(error.stack) } : { name: type, message });
}
