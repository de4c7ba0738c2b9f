import type { MessageDefinition, PayloadIn } from '../message.ts';
import type { PublishOptions } from '../producer/publish-options.ts';
import type { PublishPipeline } from '../producer/publish-pipeline.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import type { GatedDelivery } from './delivery-gate.ts';
import type { MessageContext, Outcome } from '../middleware/types.ts';

/** The per-delivery context the middleware chain works on. */
export class DeliveryContext implements MessageContext {
  payload: unknown = undefined;
  definition: MessageDefinition | undefined = undefined;
  outcome: Outcome | undefined = undefined;
  /** What onCommit registered (made on first use: most messages register nothing). */
  commits: Array<() => Promise<void>> | undefined;
  /** Its place in the consumer's RunningContexts (-1: not running). */
  slot = -1;
  /** Set while a transaction is open: publishes join it. */
  transactionalSend: ((messages: readonly OutgoingMessage[]) => Promise<void>) | undefined;
  /** Something was published in the transaction (its outcome then depends on the commit). */
  publishedInTransaction = false;
  /** Made on first use: most messages never look at their signal, and an AbortController per message is measurable. */
  private abortController: AbortController | undefined;

  constructor(
    readonly delivery: GatedDelivery,
    readonly group: string,
    private readonly transportRef: Transport,
    private readonly publisher: PublishPipeline,
  ) {}

  get envelope(): MessageContext['envelope'] {
    return this.delivery.envelope;
  }
  get attempt(): number {
    return this.delivery.attempt;
  }
  get coordinates(): MessageContext['coordinates'] {
    return this.delivery.coordinates;
  }
  get transport(): string {
    return this.transportRef.name;
  }
  get signal(): MessageContext['signal'] {
    this.abortController ??= new AbortController();
    return this.abortController.signal;
  }

  /** True once the loop gave up on this attempt (no AbortController made to tell). */
  get abandoned(): boolean {
    return this.abortController?.signal.aborted ?? false;
  }

  abort(): void {
    this.abortController ??= new AbortController();
    this.abortController.abort();
  }

  async publish<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<void> {
    const outgoing = await this.publisher.build(message, payload, options);
    if (this.transactionalSend) {
      this.publishedInTransaction = true;
      await this.publisher.sendVia([outgoing], this.transactionalSend);
    }
    else await this.publisher.send([outgoing]);
  }

  onCommit(fn: () => Promise<void>): void {
    (this.commits ??= []).push(fn);
  }
}
