import type { Codec } from '../codec.ts';
import { ClosedError } from '../errors.ts';
import type { MessageDefinition, PayloadIn } from '../message.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import { buildMessage } from './build-message.ts';
import type { PublishOptions } from './publish-options.ts';

export interface BatchEntry<M extends MessageDefinition = MessageDefinition> {
  readonly message: M;
  readonly payload: PayloadIn<M>;
  readonly options?: PublishOptions;
}

/** Publishes typed messages. Resolves once the broker has accepted them. */
export class Producer {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly transport: Transport,
    private readonly codec: Codec,
  ) {}

  /** Publishes one message; resolves to its id. */
  publish<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<string> {
    // Not async: one frame less per publish; every refusal still arrives as a rejection.
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    let built: OutgoingMessage | Promise<OutgoingMessage>;
    try {
      built = buildMessage(this.transport, this.codec, message, payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (built instanceof Promise) return built.then((outgoing) => this.send(outgoing));
    return this.send(built);
  }

  private send(outgoing: OutgoingMessage): Promise<string> {
    return this.track(this.transport.send([outgoing])).then(() => outgoing.id);
  }

  /** Publishes several messages in one transport call; resolves to their ids, in order. */
  async publishBatch(entries: readonly BatchEntry[]): Promise<string[]> {
    if (this.closed) throw new ClosedError('producer');
    // Every entry is built (and could be refused) before anything is sent.
    const outgoing = await Promise.all(entries.map((e) => buildMessage(this.transport, this.codec, e.message, e.payload, e.options)));
    if (outgoing.length > 0) await this.track(this.transport.send(outgoing));
    return outgoing.map((m) => m.id);
  }

  /** Refuses new publishes and waits for the ones under way. The transport stays open (the client owns it). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    return promise.finally(() => this.inFlight.delete(promise));
  }
}
