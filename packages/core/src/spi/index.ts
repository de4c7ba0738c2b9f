// `@ferry/core/spi`: everything an adapter needs, and nothing an application does.
// Writing one: docs/adapters/writing.md.

// The contract an adapter implements.
export type { Transport, TransportFactory, Subscription, SubscriptionSpec, StartPosition, GroupDeclaration } from './transport.ts';
export { DEAD_LETTER_GROUP } from './transport.ts';
export type { Delivery, DeliverySink, Coordinates } from './delivery.ts';
export type { Capabilities } from './capabilities.ts';
export type { Envelope, OutgoingMessage } from './envelope.ts';
export { HEADERS } from './envelope.ts';
export { toCloudEvent, fromCloudEvent, defaultCloudEventsSource, isCloudEventsAttributeName, CLOUDEVENTS_SPEC_VERSION, CLOUDEVENTS_HEADER_PREFIX } from './cloudevents.ts';
export type { OutgoingCloudEvent, IncomingCloudEvent, EnvelopeFields } from './cloudevents.ts';

// What core wraps every transport and subscription in; a test drives an adapter through them as core does.
export { guardTransport, openSubscription, DEFAULT_RESTART } from '../client/guarded-transport.ts';
export { SupervisedSubscription, type RestartPolicy, type SubscriptionHealth } from '../consumer/supervised-subscription.ts';
export { DeliveryGate, GatedDelivery } from '../consumer/delivery-gate.ts';

// Building blocks adapters share.
export { Batcher, type BatcherOptions } from './batcher.ts';
export { Fifo } from './fifo.ts';
export { SlotList, type Slotted } from '../consumer/slot-list.ts';
export { envelopeSize } from './size.ts';
export { parseOptions } from '../config/parse.ts';
export { topicPatternsSchema, matchesTopic } from '../config/topic-patterns.ts';
export { tlsOptionsSchema } from '../config/tls-options.ts';
export { redactUrl, redactText, redactSecrets, redactError } from '../redact.ts';
export { redactWhenShown } from '../redacted-inspect.ts';
export { connectionError, classifyConnectFailure, withinTimeout, type ConnectFailure } from '../connect-errors.ts';
export { redactFields, errorFields } from '../logging/redact-fields.ts';

// Logging: an adapter that routes its own and its client's logs implements LoggerAware.
export { silentLogger, stderrLogger, type Logger, type LogLevel } from '../logging/logger.ts';
export type { LoggerAware } from '../logging/transport-logger.ts';

// Errors an adapter throws.
export { FerryError, ConfigError, CapabilityError, ClosedError, MessageTooLargeError, PublishError, NoGroupError, DecodeError } from '../errors.ts';
export { ConnectionError, type ConnectFailureKind } from '../connect-errors.ts';
