import { ClosedError, FerryError } from '../errors.ts';
import { redactText } from '../redact.ts';
import type { Subscription, SubscriptionSpec, Transport } from '../spi/transport.ts';
import { DeliveryGate, type GatedDelivery } from './delivery-gate.ts';

/** Whether a subscription hands messages over: `restarting` after it died, until it is subscribed again. */
export type SubscriptionState = 'delivering' | 'restarting' | 'stopped';

/** One subscription's health, as `consumer.health()` gives it. */
export interface SubscriptionHealth {
  readonly topic: string;
  readonly state: SubscriptionState;
  /** When it entered this state (ms since the epoch). */
  readonly since: number;
  /** How many times it died and was subscribed again. */
  readonly restarts: number;
  /** The last death, or failed attempt to subscribe again (message redacted). */
  readonly lastError?: { readonly message: string; readonly code?: string };
}

export interface RestartPolicy {
  /** Wait before the first attempt to subscribe again; doubles per failed attempt. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** A subscription died (the adapter called `sink.fail`); `cause` is what the adapter reported. */
export class SubscriptionDiedError extends FerryError {
  constructor(spec: SubscriptionSpec, transport: string, cause: unknown, what: string) {
    super('FERRY_SUBSCRIPTION_DIED', `The ${transport} subscription of group ${spec.group} to ${spec.topic} ${what}: ${messageOf(cause)}. Ferry subscribes again with backoff (consumer option \`restart\`); consumer.health() shows its state.`, { cause });
  }
}

export interface SupervisorEvents {
  readonly onDelivery: (delivery: GatedDelivery) => void;
  /** Errors of the gate (a failed release), deaths and failed restarts. */
  readonly onError: (error: unknown) => void;
}

/**
 * A subscription that is subscribed again when its adapter reports it dead (`DeliverySink.fail`):
 * the dead one is closed (what core held is released: the broker delivers it again), then
 * `transport.subscribe(spec)` with a fresh DeliveryGate is tried with capped, jittered backoff
 * until it succeeds or the subscription is closed. Each death and failed attempt is reported.
 */
export class SupervisedSubscription implements Subscription {
  private current: Subscription | undefined;
  private gate: DeliveryGate | undefined;
  private state: SubscriptionState = 'delivering';
  private since = Date.now();
  private restarts = 0;
  private lastError: SubscriptionHealth['lastError'];
  /** Failed attempts since the last death: the backoff's exponent. */
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  private halted = false;
  /** A restart is under way (cleared synchronously as it ends, so a death right after it counts). */
  private inRestart = false;
  private restarting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  readonly lag?: () => Promise<{ messages: number }>;

  constructor(
    /** Guarded (guardTransport). */
    private readonly transport: Transport,
    private readonly spec: SubscriptionSpec,
    private readonly events: SupervisorEvents,
    private readonly policy: RestartPolicy,
  ) {
    this.lag = async () => {
      const lag = this.current?.lag;
      if (!lag) throw new FerryError('FERRY_STATE', `The subscription to ${spec.topic} is ${this.state}: no lag to read now.`);
      return lag();
    };
  }

  /** The first subscribe: its failure is the caller's (consumer.start rejects). */
  async open(): Promise<void> {
    const subscription = await this.subscribeOnce();
    this.current = subscription;
    // Died while it was subscribing: restart now that there is something to close.
    if (this.gate?.failure) this.died(this.gate, this.gate.failure.error);
  }

  health(): SubscriptionHealth {
    const h: SubscriptionHealth = { topic: this.spec.topic, state: this.state, since: this.since, restarts: this.restarts };
    return this.lastError ? { ...h, lastError: this.lastError } : h;
  }

  stop(): Promise<void> {
    this.halt();
    return this.current?.stop?.() ?? Promise.resolve();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.halt();
      await this.restarting;
      await this.current?.close();
      this.setState('stopped');
    })();
    return this.closing;
  }

  private halt(): void {
    this.halted = true;
    clearTimeout(this.timer);
    this.wakeSleep?.();
  }

  private subscribeOnce(): Promise<Subscription> {
    const gate: DeliveryGate = new DeliveryGate(this.spec.maxInFlight, this.events.onDelivery, this.events.onError, (error) => this.died(gate, error));
    this.gate = gate;
    return this.transport.subscribe(this.spec, gate);
  }

  /** The adapter gave up on `gate`'s subscription. */
  private died(gate: DeliveryGate, error: unknown): void {
    if (this.halted || gate !== this.gate || this.inRestart || !this.current) return;
    this.record(error);
    this.setState('restarting');
    this.events.onError(new SubscriptionDiedError(this.spec, this.transport.name, error, 'stopped delivering'));
    this.inRestart = true;
    this.restarting = this.restart();
  }

  private async restart(): Promise<void> {
    try {
      await this.resubscribe();
    } finally {
      this.inRestart = false;
    }
  }

  private async resubscribe(): Promise<void> {
    const dead = this.current;
    this.current = undefined;
    // Releases what core holds (the broker redelivers it) and closes the adapter's side.
    await dead?.close().catch((e: unknown) => this.events.onError(e));
    this.attempts = 0;
    while (!this.halted) {
      await this.sleep(this.backoff(this.attempts++));
      if (this.halted) return;
      let subscription: Subscription;
      try {
        subscription = await this.subscribeOnce();
      } catch (error) {
        // The transport was closed under it: nothing to come back to.
        if (error instanceof ClosedError) {
          this.halt();
          this.setState('stopped');
          return;
        }
        this.record(error);
        this.events.onError(new SubscriptionDiedError(this.spec, this.transport.name, error, `could not be subscribed again (attempt ${this.attempts})`));
        continue;
      }
      if (this.halted || this.gate?.failure) {
        // Closed meanwhile, or dead already: close it; a death goes round again.
        await subscription.close().catch((e: unknown) => this.events.onError(e));
        if (this.halted) return;
        this.record(this.gate!.failure!.error);
        continue;
      }
      this.current = subscription;
      this.restarts++;
      this.setState('delivering');
      this.inRestart = false;
      return;
    }
  }

  /** Exponential, capped, half of it drawn at random so restarted consumers do not come back in step. */
  private backoff(attempt: number): number {
    const base = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** Math.min(attempt, 30));
    return base / 2 + Math.random() * (base / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private record(error: unknown): void {
    const code = error instanceof FerryError ? error.code : undefined;
    this.lastError = code ? { message: messageOf(error), code } : { message: messageOf(error) };
  }

  private setState(state: SubscriptionState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
  }
}

function messageOf(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}
