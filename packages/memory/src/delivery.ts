import type { Coordinates, Delivery, Envelope, Slotted } from '@ferry/core/spi';
import type { Entry } from './entry.ts';
import type { Member } from './member.ts';

/** One hand-over of an entry to one member. Core settles it once (see DeliveryGate). */
export class MemoryDelivery implements Delivery, Slotted {
  readonly envelope: Envelope;
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /** Place in its member's held list (-1: not held). */
  slot = -1;

  constructor(
    readonly entry: Entry,
    group: string,
    private readonly member: Member,
  ) {
    const { envelope, offset } = entry.record;
    // A fresh payload per delivery: a handler that mutates its bytes cannot corrupt the log.
    this.envelope = { ...envelope, headers: { ...envelope.headers }, payload: new Uint8Array(envelope.payload) };
    this.attempt = entry.attempt;
    this.coordinates = { topic: envelope.topic, group, partition: 0, offset };
  }

  async ack(): Promise<void> {
    this.member.acked(this);
  }

  async nack(delayMs: number): Promise<void> {
    this.member.redeliver(this, Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0);
  }

  /** Due again now, for any member of the group. */
  async release(): Promise<void> {
    this.member.redeliver(this, 0);
  }
}
