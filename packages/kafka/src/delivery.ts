import type { Coordinates, Delivery, Envelope, OutgoingMessage } from '@ferry/core/spi';
import type { Entry } from './partition.ts';
import type { Settlement } from './settlement.ts';

/**
 * A record handed to core; a class rather than closures per record, which a fast consumer feels.
 * No release(): an unfinished offset is fetched again by whoever owns the partition next.
 */
export class KafkaDelivery implements Delivery {
  readonly envelope: Envelope;
  readonly attempt: number;
  /** The record's envelope header could not be read: core dead-letters it. */
  readonly envelopeError: Error | undefined;
  private coords: Coordinates | undefined;

  constructor(
    private readonly settlement: Settlement,
    private readonly entry: Entry,
  ) {
    this.envelope = entry.decoded.envelope;
    this.attempt = entry.decoded.attempt;
    this.envelopeError = entry.decoded.error;
  }

  /** Made when asked for (dead letters, handlers that log them): most deliveries never are. */
  get coordinates(): Coordinates {
    this.coords ??= { topic: this.entry.part.topic, partition: this.entry.part.partition, offset: this.entry.offset };
    return this.coords;
  }

  get serialKey(): string {
    return this.entry.part.key;
  }

  ack(): Promise<void> {
    return this.settlement.ack(this.entry);
  }

  nack(delayMs: number): Promise<void> {
    return this.settlement.nack(this.entry, delayMs);
  }

  transact(work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    return this.settlement.transact(this.entry, work);
  }
}
