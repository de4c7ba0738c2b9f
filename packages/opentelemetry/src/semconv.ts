/**
 * Attribute and metric names. The messaging conventions are still "development": their constants
 * live in `@opentelemetry/semantic-conventions/incubating`, which may change in a minor release, and
 * that package advises copying the ones used rather than importing the incubating entry point at
 * run time. They are copied here (semconv.test.ts checks each against the installed package).
 * Stable names come from the package itself.
 */
export { ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';

export const ATTR_MESSAGING_SYSTEM = 'messaging.system' as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name' as const;
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id' as const;
export const ATTR_MESSAGING_DESTINATION_SUBSCRIPTION_NAME = 'messaging.destination.subscription.name' as const;
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name' as const;
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id' as const;
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size' as const;
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count' as const;
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key' as const;
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset' as const;
export const ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key' as const;

export const MESSAGING_OPERATION_TYPE_VALUE_CREATE = 'create' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process' as const;

export const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka' as const;
export const MESSAGING_SYSTEM_VALUE_RABBITMQ = 'rabbitmq' as const;
export const MESSAGING_SYSTEM_VALUE_AWS_SQS = 'aws_sqs' as const;

export const METRIC_MESSAGING_CLIENT_SENT_MESSAGES = 'messaging.client.sent.messages' as const;
export const METRIC_MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration' as const;
export const METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES = 'messaging.client.consumed.messages' as const;
export const METRIC_MESSAGING_PROCESS_DURATION = 'messaging.process.duration' as const;

/** Ferry's own attributes and metrics (`ferry.` namespace): what the conventions have no name for. */
export const ATTR_FERRY_MESSAGE_TYPE = 'ferry.message.type' as const;
/** 1 on first delivery. */
export const ATTR_FERRY_DELIVERY_ATTEMPT = 'ferry.delivery.attempt' as const;
/** What the consume loop decided: ok, retried, dead-lettered, duplicate, ignored. */
export const ATTR_FERRY_OUTCOME = 'ferry.outcome' as const;
export const ATTR_FERRY_RETRY_DELAY = 'ferry.retry.delay_ms' as const;
/** On a link: why it is there (`creation`, `ambient`, `previous_attempt`). */
export const ATTR_FERRY_LINK_TYPE = 'ferry.link.type' as const;

export const METRIC_FERRY_PUBLISH_BATCH_SIZE = 'ferry.publish.batch.size' as const;
export const METRIC_FERRY_CONSUMER_IN_FLIGHT = 'ferry.consumer.in_flight' as const;
export const METRIC_FERRY_CONSUMER_LAG = 'ferry.consumer.lag' as const;

/** Bucket boundaries (seconds) the conventions advise for messaging durations. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
