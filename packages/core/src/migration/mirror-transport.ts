import { guardTransport } from '../client/guarded-transport.ts';
import { FerryError, PublishError } from '../errors.ts';
import { childLogger, type Logger } from '../logging/logger.ts';
import { giveLogger, type LoggerAware } from '../logging/transport-logger.ts';
import type { Capabilities } from '../spi/capabilities.ts';
import type { DeliverySink } from '../spi/delivery.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { GroupDeclaration, Subscription, SubscriptionSpec, Transport } from '../spi/transport.ts';
import { commonCapabilities } from './common-capabilities.ts';

/**
 * A publish the mirror could not make on both brokers. `accepted` names the broker that has the
 * messages all the same (if any): publish them again with the same ids, and consumers that share
 * an idempotency store drop the copy.
 */
export class MirrorPublishError extends PublishError {
  readonly failed: readonly string[];
  readonly accepted: readonly string[];
  constructor(failures: ReadonlyArray<{ broker: string; error: unknown }>, accepted: readonly string[], count: number) {
    const codes = new Set(failures.map((f) => (f.error instanceof FerryError ? f.error.code : 'FERRY_PUBLISH')));
    const reasons = failures.map((f) => `${f.broker}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
    const kept =
      accepted.length > 0
        ? ` ${accepted.join(' and ')} accepted ${count === 1 ? 'it' : 'them'}: publish again with the same id${count === 1 ? '' : 's'} (consumers sharing an idempotency store drop the copy).`
        : ' Neither broker accepted them.';
    super(`The mirror published ${count === 1 ? 'a message' : `${count} messages`} to one broker only or to none; refused by ${reasons}.${kept}`, {
      cause: failures[0]?.error,
      code: codes.size === 1 ? [...codes][0] : 'FERRY_PUBLISH',
    });
    this.failed = failures.map((f) => f.broker);
    this.accepted = accepted;
  }
}

/**
 * Two brokers as one transport, for the cut-over window of a migration: every send goes to both
 * and resolves only when both confirmed (else a MirrorPublishError names which refused; the other
 * may have it); a subscription reads the group on both, into one consumer whose shared idempotency
 * store drops the second copy of each message. Capabilities are what both can do (the smaller
 * limits). Transactions are not offered: one broker's transaction cannot cover the other.
 */
export function mirrorTransport(primary: Transport, secondary: Transport): Transport {
  return new MirrorTransport(primary, secondary);
}

class MirrorTransport implements Transport, LoggerAware {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly declareGroups: Transport['declareGroups'];
  private readonly brokers: readonly [Transport, Transport];

  constructor(primary: Transport, secondary: Transport) {
    // Each side checks its own limits and closes its own subscriptions.
    this.brokers = [guardTransport(primary), guardTransport(secondary)];
    this.name = `mirror(${primary.name}, ${secondary.name})`;
    this.capabilities = { ...commonCapabilities(primary.capabilities, secondary.capabilities), transactions: false };
    this.declareGroups = primary.declareGroups || secondary.declareGroups ? (declaration) => this.declareBoth(declaration) : undefined;
  }

  setLogger(logger: Logger): void {
    const [a, b] = this.brokers;
    giveLogger(a, childLogger(logger, { transport: a.name, mirror: 'primary' }));
    giveLogger(b, childLogger(logger, { transport: b.name, mirror: 'secondary' }));
  }

  async connect(): Promise<void> {
    await this.both((t) => t.connect?.());
  }

  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const results = await Promise.allSettled(this.brokers.map((t) => t.send(messages)));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ broker: this.brokers[i]!.name, error: r.reason as unknown }] : []));
    if (failures.length === 0) return;
    const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [this.brokers[i]!.name] : []));
    throw new MirrorPublishError(failures, accepted, messages.length);
  }

  private async declareBoth(declaration: GroupDeclaration): Promise<void> {
    await this.both((t) => t.declareGroups?.(declaration));
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    // Each side hands to the one sink (through a view: core's gate stays the outer guard's). Each
    // checks room before it hands over, so the sink holds at most twice spec.maxInFlight.
    const opened = await Promise.allSettled(this.brokers.map((t) => t.subscribe(spec, view(sink))));
    const subscriptions = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      throw failed.reason;
    }
    const [a, b] = subscriptions as [Subscription, Subscription];
    const subscription: Subscription = {
      stop: async () => void (await Promise.all([a.stop?.(), b.stop?.()])),
      close: async () => {
        const closed = await Promise.allSettled([a.close(), b.close()]);
        const error = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (error) throw error.reason;
      },
    };
    if (a.lag && b.lag) subscription.lag = async () => ({ messages: (await a.lag!()).messages + (await b.lag!()).messages });
    return subscription;
  }

  async close(): Promise<void> {
    await this.both((t) => t.close());
  }

  /** Runs `work` on both brokers; both run to the end, and the first failure is thrown. */
  private async both(work: (t: Transport) => Promise<void> | undefined): Promise<void> {
    const results = await Promise.allSettled(this.brokers.map(async (t) => work(t)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** The sink as a plain object, so a side's guard does not take it for its own gate. */
function view(sink: DeliverySink): DeliverySink {
  return {
    get room() {
      return sink.room;
    },
    get stopped() {
      return sink.stopped;
    },
    deliver: (delivery) => sink.deliver(delivery),
    whenRoom: () => sink.whenRoom(),
    fail: (error) => sink.fail(error),
  };
}
