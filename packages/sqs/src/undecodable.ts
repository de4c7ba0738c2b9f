import type { Message } from '@aws-sdk/client-sqs';
import { errorFields, type Logger } from '@ferry/core';
import { HEADERS, redactText, type Coordinates, type OutgoingMessage, type SubscriptionSpec } from '@ferry/core/spi';
import { salvage } from './codec.ts';

/**
 * A received message whose `ferry` attribute is not Ferry's metadata has no envelope core could
 * run: it is dead-lettered here, as core dead-letters an undecodable payload (kind `decode`, the
 * reason in `ferry-dead-letter-reason`), with what can be kept of it (`salvage`: the raw attribute
 * among the headers), and deleted. It never reaches core, so it never holds a prefetch slot.
 */
export class UndecodableMessages {
  constructor(
    private readonly send: (messages: readonly OutgoingMessage[]) => Promise<void>,
    private readonly logger: () => Logger,
  ) {}

  /** Sends the dead letter; resolves true once it is written (then the original may be deleted). */
  async deadLetter(message: Message, error: Error, spec: SubscriptionSpec, coordinates: Coordinates, attempt: number): Promise<boolean> {
    const kept = salvage(message, spec.topic);
    const fields = { topic: spec.topic, group: spec.group, messageId: kept.id, deadLetterTopic: spec.deadLetterTopic };
    const copy: OutgoingMessage = {
      ...kept,
      topic: spec.deadLetterTopic,
      headers: {
        ...kept.headers,
        [HEADERS.deadLetterReason]: error.message,
        [HEADERS.deadLetterKind]: 'decode',
        [HEADERS.deadLetterAttempts]: String(attempt),
        [HEADERS.deadLetterAt]: new Date().toISOString(),
        [HEADERS.originalTopic]: spec.topic,
        [HEADERS.originalGroup]: spec.group,
        [HEADERS.originalCoordinates]: JSON.stringify(coordinates),
      },
      // One per receive: a FIFO dead-letter queue keeps one copy if this receive's send is repeated.
      deduplicationId: `${kept.id}|undecodable|${attempt}`,
    };
    try {
      await this.send([copy]);
    } catch (sendError) {
      // Left in the queue: it comes back after the visibility timeout, and the redrive policy moves it at last.
      this.logger().warn({ ...fields, err: errorFields(sendError) }, `could not dead-letter an undecodable SQS message: ${redactText(error.message)}`);
      return false;
    }
    this.logger().warn(fields, `dead-lettered an undecodable SQS message: ${redactText(error.message)}`);
    return true;
  }
}
