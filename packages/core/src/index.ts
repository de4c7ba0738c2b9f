// Transport SPI: what adapters implement and use.
export type { Envelope, OutgoingMessage } from './spi/envelope.ts';
export { HEADERS } from './spi/envelope.ts';
export type { Capabilities, Feature } from './spi/capabilities.ts';
export type {
  Transport,
  TransportFactory,
  SubscriptionSpec,
  Subscription,
  StartPosition,
  Delivery,
  Coordinates,
} from './spi/transport.ts';
export { DEAD_LETTER_GROUP } from './spi/transport.ts';
export { Batcher, type BatcherOptions } from './spi/batcher.ts';
export { envelopeSize } from './spi/size.ts';
export { parseOptions } from './config/parse.ts';
export { redactUrl, redactText } from './redact.ts';
export * from './errors.ts';
