import type { Transport } from '@ferry/core/spi';
import { RabbitMqTransport } from './transport.ts';

export { RabbitMqTransport } from './transport.ts';
export { ConnectionError } from './connection-manager.ts';
export { TopologyError } from './topology.ts';
export { DEFAULT_DELAY_TIERS_MS, type RabbitMqOptions } from './options.ts';
/** Reads one amqplib message into an envelope, in either form the transport writes (the CLI's tap uses it). */
export { decode as decodeMessage } from './codec.ts';

/** Entry point for `createClient('amqp://...')`. */
export function createTransport(url: URL, options: Readonly<Record<string, unknown>> = {}): Transport {
  return new RabbitMqTransport(url, options);
}
