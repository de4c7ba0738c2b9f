import type { Transport } from '@ferry/core/spi';
import { optionsFromUrl } from './options.ts';
import { MemoryTransport } from './transport.ts';

export { MemoryTransport } from './transport.ts';
export { resetMemoryBroker, DEFAULT_RETAIN_MESSAGES } from './broker.ts';
export { DEFAULT_MAX_MESSAGE_BYTES, type MemoryTransportOptions } from './options.ts';

/** `createClient('memory://')` / `createClient('memory://orders-test?maxMessageBytes=1024')`. */
export function createTransport(url: URL, options: Readonly<Record<string, unknown>>): Transport {
  return new MemoryTransport(optionsFromUrl(url, options));
}
