import type { Transport } from '@ferry/core/spi';
import { SqsTransport } from './transport.ts';

export { SqsTransport } from './transport.ts';
export { QueueError, GROUP_TAG } from './queues.ts';
export { queueNameFor } from './names.ts';
export { SQS_LIMITS, type SqsOptions } from './options.ts';
// Building blocks, for tests on a real server and for tooling around the transport.
export { Publisher, type OutgoingEntry, type SendBatch } from './publisher.ts';
export { createSqsClient } from './client.ts';
export { encode, decode, type EncodedMessage } from './codec.ts';
export type { QueueInfo } from './queues.ts';

/** Entry point for `createClient('sqs://region?endpoint=...')`. */
export function createTransport(url: URL, options: Readonly<Record<string, unknown>> = {}): Transport {
  return new SqsTransport(url, options);
}
