import type { Delivery } from '@ferry/core/spi';

/**
 * Remembers the dead letters a transport holds unsettled, so that sending one back (core's redrive
 * reads a dead letter, sends it to its topic, then acks it) gets a FIFO deduplication id unique to
 * that dead-letter delivery instead of the message id, which SQS would drop as a duplicate of the
 * original publish within its 5-minute window.
 *
 * A message can be dead-lettered again, and its next dead letter received, before the ack of the
 * previous one has returned: forgetting therefore removes only the entry its own delivery made.
 */
export class RedriveTracker {
  private readonly holding = new Map<string, string>();

  /** The SQS MessageId of the dead letter with this message id that is held now, if any. */
  deadLetterOf(messageId: string): string | undefined {
    return this.holding.get(messageId);
  }

  /** Wraps a dead-letter delivery: held from now until it is settled. */
  track(delivery: Delivery): Delivery {
    const id = delivery.envelope.id;
    const deadLetter = String(delivery.coordinates.messageId);
    this.holding.set(id, deadLetter);
    const forget = () => {
      if (this.holding.get(id) === deadLetter) this.holding.delete(id);
    };
    return {
      envelope: delivery.envelope,
      attempt: delivery.attempt,
      coordinates: delivery.coordinates,
      ack: () => delivery.ack().finally(forget),
      nack: (delayMs) => delivery.nack(delayMs).finally(forget),
    };
  }
}
