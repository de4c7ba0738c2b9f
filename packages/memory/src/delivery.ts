import type { Coordinates, Delivery, Envelope } from '@ferry/core/spi';
import type { Entry } from './entry.ts';

/** What a delivery reports back to: the member (subscription) that received it. */
export interface DeliveryOwner {
  settle(delivery: MemoryDelivery, outcome: { readonly redeliverAfterMs: number } | 'ack'): void;
}

/**
 * One hand-over of an entry to one member. Settles at most once; after its subscription closed
 * (the entry went back to the group) ack and nack are no-ops, as the SPI asks.
 */
export class MemoryDelivery implements Delivery {
  readonly envelope: Envelope;
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /** False once acked, nacked or released. */
  live = true;

  constructor(
    readonly entry: Entry,
    group: string,
    private readonly owner: DeliveryOwner,
  ) {
    const { envelope, offset } = entry.record;
    // A fresh payload per delivery: a handler that mutates its bytes cannot corrupt the log.
    this.envelope = { ...envelope, headers: { ...envelope.headers }, payload: new Uint8Array(envelope.payload) };
    this.attempt = entry.attempt;
    this.coordinates = { topic: envelope.topic, group, partition: 0, offset };
  }

  async ack(): Promise<void> {
    if (this.live) this.owner.settle(this, 'ack');
  }

  async nack(delayMs: number): Promise<void> {
    const wait = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    if (this.live) this.owner.settle(this, { redeliverAfterMs: wait });
  }
}
