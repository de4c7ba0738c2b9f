import { checkOutgoing, checkStart } from '../capability-check.ts';
import { DeliveryGate, type GatedDelivery } from '../consumer/delivery-gate.ts';
import { SupervisedSubscription, type RestartPolicy } from '../consumer/supervised-subscription.ts';
import { ClosedError, ConfigError } from '../errors.ts';
import { stderrLogger, type Logger } from '../logging/logger.ts';
import { giveLogger } from '../logging/transport-logger.ts';
import { errorFields } from '../logging/redact-fields.ts';
import type { Capabilities } from '../spi/capabilities.ts';
import type { DeliverySink } from '../spi/delivery.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { GroupDeclaration, Subscription, SubscriptionSpec, Transport } from '../spi/transport.ts';
import { GroupDeclarations, type TopicGroups } from './group-declarations.ts';

/**
 * What every adapter would otherwise write again, around any transport: use after close is a
 * ClosedError, every send is checked against the capabilities (dead letters and redrives too, not
 * only publishes), a subscription's spec and start position are checked, and close is idempotent
 * and closes the subscriptions still open first. Closing a subscription fed to a DeliveryGate
 * stops the gate, releases what it holds, then closes the adapter's subscription. An adapter keeps
 * only limits of its own. `createClient` guards the transport it is given; guarding a guarded
 * transport returns it.
 */
export function guardTransport(transport: Transport, options: { topics?: TopicGroups } = {}): Transport {
  const guarded = transport instanceof GuardedTransport ? transport : new GuardedTransport(transport);
  // Before the first send to a topic, its declared groups are made to exist (see GroupDeclarations).
  if (options.topics) guarded.declarations.add(options.topics);
  return guarded;
}

class GuardedTransport implements Transport {
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Present when the adapter's transport has it. */
  readonly declareGroups: Transport['declareGroups'];
  readonly hasGroup: Transport['hasGroup'];
  readonly declarations: GroupDeclarations;
  private readonly open = new Set<Subscription>();
  private closing: Promise<void> | undefined;

  constructor(private readonly inner: Transport) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.declarations = new GroupDeclarations(inner);
    this.declareGroups = inner.declareGroups === undefined ? undefined : (declaration) => this.declareOpen(declaration);
    this.hasGroup = inner.hasGroup === undefined ? undefined : (topic, group) => (this.assertOpen(), inner.hasGroup!(topic, group));
  }

  async connect(): Promise<void> {
    this.assertOpen();
    await this.inner.connect?.();
  }

  /** The adapter's logs go where the client's do (LoggerAware), when the adapter takes a logger. */
  setLogger(logger: Logger): void {
    giveLogger(this.inner, logger);
  }

  // Not async: it runs per publish, and a refusal must still arrive as a rejection.
  send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closing) return Promise.reject(this.closedError());
    try {
      for (const m of messages) {
        if (!m.topic) throw new ConfigError('message.topic', 'is empty', 'Name the topic to publish to.');
        checkOutgoing(this, m);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const declaring = this.declarations.before(messages);
    return declaring ? declaring.then(() => this.inner.send(messages)) : this.inner.send(messages);
  }

  private async declareOpen(declaration: GroupDeclaration): Promise<void> {
    this.assertOpen();
    await this.inner.declareGroups!(declaration);
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    this.assertOpen();
    if (!spec.topic) throw new ConfigError('subscription.topic', 'is empty', 'Name the topic to consume.');
    if (!spec.group) throw new ConfigError('subscription.group', 'is empty', 'Name the consumer group.');
    if (!Number.isInteger(spec.maxInFlight) || spec.maxInFlight < 1) throw new ConfigError('subscription.maxInFlight', `is ${spec.maxInFlight}`, 'Use an integer >= 1.');
    checkStart(this, spec.start);
    const inner = await this.inner.subscribe(spec, sink);
    const gate = sink instanceof DeliveryGate ? sink : undefined;
    let stopping: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    const subscription: Subscription = {
      stop: () => {
        gate?.stop();
        // Async, so that an adapter's stop that throws at once still gives a rejection.
        stopping ??= (async () => void (await inner.stop?.()))();
        return stopping;
      },
      close: () => {
        closing ??= (async () => {
          try {
            // A stop that failed still ends in release and close: nothing may stay held.
            await subscription.stop!().catch(() => undefined);
            await gate?.releaseAll();
            await inner.close();
          } finally {
            this.open.delete(subscription);
          }
        })();
        return closing;
      },
    };
    if (inner.lag) subscription.lag = () => inner.lag!();
    this.open.add(subscription);
    // Closed while the adapter was subscribing: nothing may run past close.
    if (this.closing) {
      await subscription.close();
      throw this.closedError();
    }
    return subscription;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.open].map((s) => s.close()));
      await this.inner.close();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw this.closedError();
  }

  private closedError(): ClosedError {
    return new ClosedError(`${this.name} transport`);
  }
}

/** How soon a dead subscription is subscribed again unless the consumer's `restart` option says otherwise. */
export const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Subscribes `onDelivery` through a DeliveryGate of `spec.maxInFlight` on the guarded transport,
 * subscribed again with backoff when the adapter reports it dead (SupervisedSubscription): how
 * core consumes, and how a test drives an adapter the way core does.
 */
export async function openSubscription(
  transport: Transport,
  spec: SubscriptionSpec,
  onDelivery: (delivery: GatedDelivery) => void,
  onError: (error: unknown) => void = (error) => stderrLogger().error({ err: errorFields(error) }, 'subscription error'),
  restart: RestartPolicy = DEFAULT_RESTART,
): Promise<SupervisedSubscription> {
  const subscription = new SupervisedSubscription(guardTransport(transport), spec, { onDelivery, onError }, restart);
  await subscription.open();
  return subscription;
}
