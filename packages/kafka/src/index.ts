import type { Transport } from '@ferry/core/spi';
import { KafkaTransport } from './transport.ts';

export { KafkaTransport } from './transport.ts';
export { TopicMissingError } from './topics.ts';
export type { KafkaOptions } from './options.ts';
/** Reads one kafkajs record into an envelope, in any form the transport writes (the CLI's tap uses it). */
export { decode as decodeRecord, type Decoded as DecodedRecord } from './codec.ts';

/** Entry point for `createClient('kafka://host:9092')`. */
export function createTransport(url: URL, options: Readonly<Record<string, unknown>> = {}): Transport {
  return new KafkaTransport(url, options);
}
