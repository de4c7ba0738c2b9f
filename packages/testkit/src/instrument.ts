import type { Delivery, DeliverySink, OutgoingMessage, Subscription, SubscriptionSpec, Transport } from '@ferry/core/spi';

export interface InstrumentOptions {
  /**
   * Deliveries for which the ack is "lost in a crash": core's ack() never resolves and never reaches
   * the broker, as if the process died right after the handler finished.
   */
  readonly loseAck?: (delivery: Delivery) => boolean;
}

/**
 * Wraps a transport to observe what core does with it (deliveries the adapter handed over and core
 * has not yet acked or nacked, their peak) and to inject faults at the SPI. The suite uses it as
 * the process under test.
 */
export class InstrumentedTransport implements Transport {
  /** Deliveries handed to core and not yet acked or nacked (released ones stay counted). */
  unsettled = 0;
  /** The most `unsettled` ever was. */
  maxUnsettled = 0;
  delivered = 0;
  /** Whether deliveries carried `transact` (undefined: none seen yet). */
  sawTransact: boolean | undefined;
  /** The largest `maxInFlight` a subscription asked for. */
  maxInFlightAsked = 0;

  constructor(
    readonly inner: Transport,
    private readonly options: InstrumentOptions = {},
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): Transport['capabilities'] {
    return this.inner.capabilities;
  }

  async connect(): Promise<void> {
    await this.inner.connect?.();
  }

  send(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.inner.send(messages);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    this.maxInFlightAsked = Math.max(this.maxInFlightAsked, spec.maxInFlight);
    const observed: DeliverySink = {
      get room() {
        return sink.room;
      },
      get stopped() {
        return sink.stopped;
      },
      deliver: (delivery) => sink.deliver(this.wrapDelivery(delivery)),
      whenRoom: () => sink.whenRoom(),
      fail: (error) => sink.fail(error),
    };
    return this.inner.subscribe(spec, observed);
  }

  private wrapDelivery(delivery: Delivery): Delivery {
    this.delivered++;
    this.unsettled++;
    this.maxUnsettled = Math.max(this.maxUnsettled, this.unsettled);
    this.sawTransact = delivery.transact !== undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.unsettled--;
    };
    const loseAck = this.options.loseAck?.(delivery) ?? false;
    const wrapped: Delivery = {
      envelope: delivery.envelope,
      attempt: delivery.attempt,
      coordinates: delivery.coordinates,
      ack: () => {
        if (loseAck) return new Promise<void>(() => undefined);
        settle();
        return delivery.ack();
      },
      nack: (delayMs) => {
        settle();
        return delivery.nack(delayMs);
      },
    };
    if (delivery.release) {
      const release = delivery.release.bind(delivery);
      wrapped.release = () => release();
    }
    if (delivery.transact) {
      const transact = delivery.transact.bind(delivery);
      wrapped.transact = async (work) => {
        await transact(work);
        settle();
      };
    }
    return wrapped;
  }
}
