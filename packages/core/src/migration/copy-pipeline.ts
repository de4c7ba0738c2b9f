import type { GatedDelivery } from '../consumer/delivery-gate.ts';
import { FerryError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';

export interface CopySettings {
  /** Most messages in one publish to the destination. */
  readonly batchSize: number;
  /** Publishes to the destination under way at once. */
  readonly maxBatchesInFlight: number;
  /** One key's messages (per topic) are never in two publishes under way at once: each waits for the previous one's confirm. */
  readonly orderedByKey: boolean;
  /** Sends a batch to the destination; resolves once the destination confirmed every message. */
  readonly publish: (messages: readonly OutgoingMessage[]) => Promise<void>;
  readonly toOutgoing: (delivery: GatedDelivery) => OutgoingMessage;
  /** A message the destination refuses for good (too large, a feature it lacks): take it out of the way (settles it). */
  readonly refuse: (delivery: GatedDelivery, error: FerryError) => Promise<void>;
  /** A failure that is tried again (the destination or the source unreachable). */
  readonly onError: (error: unknown) => void;
  readonly onCopied: (count: number) => void;
}

/** Refusals that no retry can change: the destination cannot carry the message as it is. */
const PERMANENT = new Set(['FERRY_MESSAGE_TOO_LARGE', 'FERRY_CAPABILITY', 'FERRY_CONFIG']);

export function isPermanentRefusal(error: unknown): error is FerryError {
  return error instanceof FerryError && PERMANENT.has(error.code);
}

const MAX_BACKOFF_MS = 5_000;

/**
 * The bridge's copying: received deliveries go out to the destination in batches, and each is
 * acknowledged at the source only once the destination confirmed it. Several batches may be under
 * way, but (with `orderedByKey`) never two holding messages of one key, so a key's messages reach
 * the destination in the order they were received. A batch waits to fill while others are under
 * way (none waits when nothing is). Failed publishes are tried again with backoff (100 ms doubling
 * to 5 s) until they succeed or the pipeline stops; what it still holds then is released by the
 * subscription's close.
 */
export class CopyPipeline {
  private pending: GatedDelivery[] = [];
  private readonly busyKeys = new Set<string>();
  /** Batches under way, and the deliveries in them. */
  private inFlight = 0;
  private sending = 0;
  private stopped = false;
  /** Every waiting key had a batch under way at the last look: nothing to take until one ends. */
  private blocked = false;
  private idleWaiters: Array<() => void> = [];
  private lastRefusal: FerryError | undefined;

  constructor(private readonly settings: CopySettings) {}

  /** Received and not yet confirmed by the destination. */
  get holding(): number {
    return this.pending.length + this.sending;
  }

  add(delivery: GatedDelivery): void {
    this.pending.push(delivery);
    this.pump();
  }

  /** Starts no more batches; resolves once the batches under way have ended (confirmed and acked, or given up). */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const { batchSize, maxBatchesInFlight } = this.settings;
    while (!this.stopped && !this.blocked && this.inFlight < maxBatchesInFlight && this.pending.length > 0) {
      // While others are under way, a batch waits to fill: fewer, larger publishes.
      if (this.inFlight > 0 && this.pending.length < batchSize) return;
      const batch = this.take(batchSize);
      if (batch.length === 0) {
        this.blocked = true; // every waiting key has a batch under way: look again when one ends
        return;
      }
      this.inFlight++;
      this.sending += batch.length;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.sending -= batch.length;
        for (const d of batch) {
          const key = this.keyOf(d);
          if (key !== undefined) this.busyKeys.delete(key);
        }
        if (this.inFlight === 0 && this.stopped) this.idleWaiters.splice(0).forEach((w) => w());
        this.blocked = false;
        this.pump();
      });
    }
  }

  /** Up to `max` waiting deliveries, in order, leaving those whose key is in a batch under way (and that key's later ones). */
  private take(max: number): GatedDelivery[] {
    const batch: GatedDelivery[] = [];
    const left: GatedDelivery[] = [];
    const taken = new Set<string>();
    for (const d of this.pending) {
      const key = this.keyOf(d);
      if (batch.length >= max || (key !== undefined && this.busyKeys.has(key))) {
        left.push(d);
        continue;
      }
      if (key !== undefined) taken.add(key);
      batch.push(d);
    }
    for (const key of taken) this.busyKeys.add(key);
    this.pending = left;
    return batch;
  }

  private keyOf(d: GatedDelivery): string | undefined {
    const key = d.envelope.key;
    return this.settings.orderedByKey && key !== undefined ? `${d.envelope.topic}\u0000${key}` : undefined;
  }

  private async send(batch: GatedDelivery[]): Promise<void> {
    const messages = batch.map((d) => this.settings.toOutgoing(d));
    const sent = await this.retrying(() => this.settings.publish(messages), (error) => isPermanentRefusal(error));
    if (sent === 'stopped') return;
    if (sent === 'refused') {
      // Nothing of the batch was sent (the check refuses before sending): find the refused ones one by one.
      for (const [i, d] of batch.entries()) {
        const one = await this.retrying(() => this.settings.publish([messages[i]!]), isPermanentRefusal);
        if (one === 'stopped') return;
        if (one === 'refused') {
          const refusal = this.lastRefusal!;
          await this.retrying(() => this.settings.refuse(d, refusal), () => false);
        } else await this.ack(d);
      }
      return;
    }
    await Promise.all(batch.map((d) => this.ack(d)));
  }

  /** Runs `op` until it succeeds, is refused for good, or the pipeline stops. */
  private async retrying(op: () => Promise<void>, permanent: (error: unknown) => boolean): Promise<'done' | 'refused' | 'stopped'> {
    for (let wait = 100; ; wait = Math.min(MAX_BACKOFF_MS, wait * 2)) {
      try {
        await op();
        return 'done';
      } catch (error) {
        if (permanent(error)) {
          this.lastRefusal = error as FerryError;
          return 'refused';
        }
        this.settings.onError(error);
      }
      if (this.stopped) return 'stopped';
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.stopped) return 'stopped';
    }
  }

  /** Acknowledges at the source, tried again while running; a delivery left unacked is released at close and copied again (the destination deduplicates by id). */
  private async ack(d: GatedDelivery): Promise<void> {
    const acked = await this.retrying(
      () =>
        d.ack().catch((error: unknown) => {
          d.settleFailed();
          throw error;
        }),
      () => false,
    );
    if (acked === 'done') this.settings.onCopied(1);
  }
}
