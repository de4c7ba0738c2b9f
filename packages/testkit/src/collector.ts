import type { Coordinates, MessageContext } from '@ferry/core';
import type { Item } from './messages.ts';

/** One handled message as a case saw it. */
export interface Received {
  readonly id: string;
  readonly n: number;
  readonly tag: string | undefined;
  readonly key: string | undefined;
  readonly topic: string;
  readonly attempt: number;
  /** Where the transport says it came from (partition/offset, queue...). */
  readonly coordinates: Coordinates;
  /** Which consumer of the case handled it (a label the case chose). */
  readonly consumer: string;
  readonly at: number;
}

/** Counts what handlers saw, per message id, so cases can assert exact counts and contents. */
export class Collector {
  readonly all: Received[] = [];
  private readonly perId = new Map<string, number>();

  /** A handler that records each item under `consumer`. */
  handler(consumer: string): (item: Item, ctx: MessageContext) => void {
    return (item, ctx) => this.record(item, ctx, consumer);
  }

  record(item: Item, ctx: MessageContext, consumer: string): Received {
    const received: Received = {
      id: ctx.envelope.id,
      n: item.n,
      tag: item.tag,
      key: ctx.envelope.key,
      topic: ctx.envelope.topic,
      attempt: ctx.attempt,
      coordinates: ctx.coordinates,
      consumer,
      at: Date.now(),
    };
    this.all.push(received);
    this.perId.set(received.id, (this.perId.get(received.id) ?? 0) + 1);
    return received;
  }

  /** Distinct message ids seen. */
  get unique(): number {
    return this.perId.size;
  }

  count(id: string): number {
    return this.perId.get(id) ?? 0;
  }

  has(id: string): boolean {
    return this.perId.has(id);
  }

  /** Ids handled more than once, with their counts. */
  duplicates(): Array<[string, number]> {
    return [...this.perId].filter(([, n]) => n > 1);
  }

  /** Of `ids`, those never seen (for failure messages). */
  missing(ids: Iterable<string>): string[] {
    return [...ids].filter((id) => !this.perId.has(id));
  }

  byConsumer(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.all) counts.set(r.consumer, (counts.get(r.consumer) ?? 0) + 1);
    return counts;
  }

  /** "412/500 unique, 3 duplicated (first missing: ...)" for waitFor messages. */
  summary(expected: readonly string[]): string {
    const missing = this.missing(expected);
    return `${expected.length - missing.length}/${expected.length} expected ids seen, ${this.all.length} deliveries, ${this.duplicates().length} ids duplicated${missing.length ? `; first missing: ${missing.slice(0, 5).join(', ')}` : ''}`;
  }
}
