import { FerryError } from '../errors.ts';
import type { Delivery, DeliverySink } from '../spi/delivery.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import { SlotList } from './slot-list.ts';

const RESOLVED = Promise.resolve();

// A gated delivery's state. A slot is freed once, by the first settle call or the release.
const HELD = 0; // handed to core, takes a slot
const SETTLING = 1; // a settle call is under way, or has succeeded
const FAILED = 2; // the settle call rejected: it may be made again, or the delivery released
const TRANSACTING = 3; // transact under way: keeps its slot
const DONE = 4; // released, or committed by a transaction

/**
 * Core's side of a subscription (the DeliverySink every adapter hands to): the in-flight bound
 * and the settle-once bookkeeping, so adapters keep neither. Each delivery is wrapped once
 * (GatedDelivery); what is held when the subscription closes is released.
 */
export class DeliveryGate implements DeliverySink {
  private held = 0;
  private halted = false;
  /** Held and failed deliveries, for release at close. */
  private readonly open = new SlotList<GatedDelivery>();
  private waiter: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly maxInFlight: number,
    private readonly onDelivery: (delivery: GatedDelivery) => void,
    /** Where a release that failed, or a throwing onDelivery, is reported. */
    private readonly onError: (error: unknown) => void = (error) => console.error('[ferry] delivery:', error),
    /** The adapter reported its subscription dead (`fail`): core's supervisor restarts it. Default: onError. */
    private readonly onFail?: (error: unknown) => void,
  ) {}

  /** The error the adapter reported with `fail`, if it did. */
  failure: { readonly error: unknown } | undefined;

  get room(): number {
    return this.halted ? 0 : Math.max(0, this.maxInFlight - this.held);
  }

  get stopped(): boolean {
    return this.halted;
  }

  /** Deliveries held: handed, not yet settled or released. */
  get inFlight(): number {
    return this.held;
  }

  deliver(delivery: Delivery): void {
    if (this.halted) {
      this.releaseQuietly(delivery);
      return;
    }
    const gated = new GatedDelivery(delivery, this);
    this.held++;
    this.track(gated);
    try {
      this.onDelivery(gated);
    } catch (error) {
      this.onError(error);
    }
  }

  whenRoom(): Promise<void> {
    if (this.halted) return RESOLVED;
    if (!this.waiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiter = { promise, resolve };
    }
    return this.waiter.promise;
  }

  fail(error: unknown): void {
    if (this.halted || this.failure) return;
    this.failure = { error };
    (this.onFail ?? this.onError)(error);
  }

  /** Takes no more deliveries: room is 0, waiters wake, what arrives now is released at once. */
  stop(): void {
    this.halted = true;
    this.wake();
  }

  /** Stops, and releases every delivery held (or whose settle call failed); settle calls on them are no-ops from now. */
  async releaseAll(): Promise<void> {
    this.stop();
    const releases: Promise<void>[] = [];
    for (const gated of this.open.takeAll()) {
      const release = gated.takeForRelease();
      if (release) releases.push(release.catch((error: unknown) => this.onError(error)));
    }
    await Promise.all(releases);
  }

  /** @internal A delivery gave up its slot. */
  free(gated: GatedDelivery): void {
    this.untrack(gated);
    this.held--;
    this.wake();
  }

  /** @internal */
  track(gated: GatedDelivery): void {
    this.open.add(gated);
  }

  /** @internal */
  untrack(gated: GatedDelivery): void {
    this.open.remove(gated);
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    waiter.resolve();
  }

  private releaseQuietly(delivery: Delivery): void {
    delivery.release?.().catch((error: unknown) => this.onError(error));
  }
}

/**
 * A delivery as core's consume loop holds it: settles its adapter delivery at most once, frees
 * its slot on the first settle call, and does nothing once released. A class, not closures: one
 * object per message.
 */
export class GatedDelivery implements Delivery {
  /** Present when the adapter's delivery has it. */
  readonly transact: Delivery['transact'];
  /** @internal Place in the gate's list of open deliveries (-1: not in it). */
  slot = -1;
  private state = HELD;

  constructor(
    readonly inner: Delivery,
    private readonly gate: DeliveryGate,
  ) {
    this.transact = inner.transact === undefined ? undefined : transactOnce;
  }

  get envelope(): Delivery['envelope'] {
    return this.inner.envelope;
  }

  get attempt(): number {
    return this.inner.attempt;
  }

  get coordinates(): Delivery['coordinates'] {
    return this.inner.coordinates;
  }

  get serialKey(): string | undefined {
    return this.inner.serialKey;
  }

  get envelopeError(): Error | undefined {
    return this.inner.envelopeError;
  }

  ack(): Promise<void> {
    return this.begin() ? this.inner.ack() : RESOLVED;
  }

  nack(delayMs: number): Promise<void> {
    return this.begin() ? this.inner.nack(delayMs) : RESOLVED;
  }

  release(): Promise<void> {
    this.gate.untrack(this);
    return this.takeForRelease() ?? RESOLVED;
  }

  /**
   * The settle call made last rejected: it may be made again (or the delivery released at close).
   * Core's settle loop calls this before it waits to try again.
   */
  settleFailed(): void {
    if (this.state !== SETTLING) return;
    this.state = FAILED;
    this.gate.track(this);
  }

  /** @internal Marks it released; the adapter's release to run, if it was held or failed. */
  takeForRelease(): Promise<void> | undefined {
    const state = this.state;
    if (state !== HELD && state !== FAILED) return undefined;
    this.state = DONE;
    if (state === HELD) this.gate.free(this);
    return this.inner.release?.();
  }

  /** @internal */
  async runTransact(work: Parameters<NonNullable<Delivery['transact']>>[0]): Promise<void> {
    const state = this.state;
    if (state !== HELD && state !== FAILED) throw new FerryError('FERRY_SETTLED', `Delivery of message ${this.envelope.id} was settled or released already: it cannot join a transaction.`);
    this.state = TRANSACTING;
    try {
      await this.inner.transact!(work);
    } catch (error) {
      // Not committed: it stays held (a failed one stays failed), and core settles it otherwise.
      this.state = state;
      throw error;
    }
    this.state = DONE;
    if (state === HELD) this.gate.free(this);
    else this.gate.untrack(this);
  }

  /** Held or failed: the first settle call frees its slot; later ones are no-ops. */
  private begin(): boolean {
    const state = this.state;
    if (state === HELD) {
      this.state = SETTLING;
      this.gate.free(this);
      return true;
    }
    if (state === FAILED) {
      this.state = SETTLING;
      this.gate.untrack(this);
      return true;
    }
    return false;
  }
}

/** Shared by every GatedDelivery whose adapter delivery has transact (no closure per message). */
function transactOnce(this: GatedDelivery, work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
  return this.runTransact(work);
}
