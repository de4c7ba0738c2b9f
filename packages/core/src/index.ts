// Application API
export { createClient, Client, type ClientOptions, type ClientPlugin, type ClientTarget, type ProducerOptions } from './client/client.ts';
export { registerTransport } from './client/registry.ts';
export type { RedriveOptions, RedriveResult, RedriveCandidate } from './client/redrive.ts';
export type { InspectOptions, Inspection, PurgeOptions } from './client/dead-letters.ts';
export { describeDeadLetter, type DeadLetter } from './client/dead-letter-view.ts';
export { selects, type DeadLetterSelector } from './client/dead-letter-selector.ts';
export { defineMessage, type MessageDefinition, type PayloadIn, type PayloadOut, type DefineMessageOptions } from './message.ts';
export { Producer, type BatchEntry } from './producer/producer.ts';
export { buildMessage } from './producer/build-message.ts';
export type { PublishOptions } from './producer/publish-options.ts';
export type { BatchItem, BatchResult, BatchHandler, BatchOptions } from './consumer/batch-collector.ts';
export { Consumer, CONSUME_STEPS, type ConsumeStep, type Handler, type CloseOptions, type ConsumerHealth, type ConsumerLag } from './consumer/consumer.ts';
export { SubscriptionDiedError, type SubscriptionHealth, type SubscriptionState } from './consumer/supervised-subscription.ts';
export type { ConsumerOptions, ResolvedConsumerOptions, RetryOptions } from './config/consumer-options.ts';
export type { ConsumerHooks } from './consumer/hooks.ts';
export { jsonCodec, type Codec } from './codec.ts';
export type { TransportScope } from './client/transport-scope.ts';

// Logging: the `logger` option's shape, the default, and what adapters use to route their clients' logs.
export { stderrLogger, silentLogger, childLogger, levelEnabled, type Logger, type LogFn, type LogLevel } from './logging/logger.ts';
export { redactFields, errorFields } from './logging/redact-fields.ts';
export { redactUrl, redactText } from './redact.ts';
export { giveLogger, type LoggerAware } from './logging/transport-logger.ts';

// Middleware: the built-in steps (the consumer composes them) and the types to write your own.
export type { Middleware, HandlerFn, MessageContext, Outcome, PublishMiddleware, SendFn } from './middleware/types.ts';
export type { PlacedMiddleware, MiddlewareEntry } from './middleware/placement.ts';
export { PUBLISH_STEPS } from './producer/publish-pipeline.ts';
export { compose } from './middleware/compose.ts';
export { tracing, type TracingOptions, type SpanLike } from './middleware/tracing.ts';
export { retry } from './middleware/retry.ts';
export { backoffDelay } from './middleware/backoff.ts';
export { deadLetter } from './middleware/dead-letter.ts';
export { decode } from './middleware/decode.ts';
export { validateSchema } from './middleware/validate-schema.ts';
export { idempotency, noIdError, KeyInProgressError, LeaseLostError, type IdempotencyOptions } from './middleware/idempotency.ts';
export { timeout, HandlerTimeoutError } from './middleware/timeout.ts';

// Idempotency stores
export type { IdempotencyStore, ClaimResult } from './idempotency/store.ts';
export type { IdempotencyGuard, GuardConsumer } from './idempotency/guard.ts';
export { MemoryIdempotencyStore } from './idempotency/memory-store.ts';

// What applications see of the transport layer. Adapters import `@ferry/core/spi`.
export type { Envelope, OutgoingMessage } from './spi/envelope.ts';
export { HEADERS } from './spi/envelope.ts';
export type { Capabilities } from './spi/capabilities.ts';
export type { Transport, TransportFactory, StartPosition } from './spi/transport.ts';
export type { Coordinates } from './spi/delivery.ts';
export { DEAD_LETTER_GROUP } from './spi/transport.ts';
export * from './errors.ts';
export { ConnectionError, type ConnectFailureKind } from './connect-errors.ts';

// Moving between brokers
export { migrateCheck, type MigrationFinding, type MigrationUsage, type TransportProfile } from './migration/migrate-check.ts';
export { parseMigrationUsage } from './migration/usage-schema.ts';
export { mirrorTransport, MirrorPublishError } from './migration/mirror-transport.ts';
export { commonCapabilities } from './migration/common-capabilities.ts';
export { bridge, BRIDGE_GROUP, type Bridge, type BridgeOptions, type BridgeProgress } from './migration/bridge.ts';
// Whether a built message fits a transport (size, priority, delay): what the outbox relay checks per row.
export { checkOutgoing } from './capability-check.ts';
