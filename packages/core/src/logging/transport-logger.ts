import type { Transport } from '../spi/transport.ts';
import type { Logger } from './logger.ts';

/**
 * What an adapter implements to send its own logs and its client library's (kafkajs's logCreator,
 * amqplib's connection and channel events, the AWS SDK's `logger`) through the application's
 * logger. Optional: an adapter without it keeps its own output. `createClient` calls it once,
 * before `connect()`, with a child logger bound to `{ transport: name }` (docs/observability.md
 * says what each adapter routes, at which level). Kept outside the SPI module until the SPI gains
 * it as an optional member of Transport.
 */
export interface LoggerAware {
  setLogger(logger: Logger): void;
}

/** Hands `logger` to a transport that takes one; true if it did. */
export function giveLogger(transport: Transport, logger: Logger): boolean {
  const aware = transport as Transport & Partial<LoggerAware>;
  if (typeof aware.setLogger !== 'function') return false;
  aware.setLogger(logger);
  return true;
}
