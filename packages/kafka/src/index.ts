import type { Transport } from '@ferry/core/spi';
import { KafkaTransport } from './transport.ts';

export { KafkaTransport } from './transport.ts';
export { TopicMissingError } from './topics.ts';
export type { KafkaOptions } from './options.ts';

/** Entry point for `createClient('kafka://host:9092')`. */
export function createTransport(url: URL, options: Readonly<Record<string, unknown>> = {}): Transport {
  return new KafkaTransport(url, options);
}
