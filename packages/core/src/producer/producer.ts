import { ClosedError } from '../errors.ts';
import type { MessageDefinition, PayloadIn } from '../message.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { PublishOptions } from './publish-options.ts';
import type { PublishPipeline } from './publish-pipeline.ts';

export interface BatchEntry<M extends MessageDefinition = MessageDefinition> {
  readonly message: M;
  readonly payload: PayloadIn<M>;
  readonly options?: PublishOptions;
}

/** Publishes typed messages. Resolves once the broker has accepted them. */
export class Producer {
  private closed = false;
  /** Sends under way, and who waits for them to end (close). A counter, not a Set: it runs per publish. */
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly pipeline: PublishPipeline) {}

  /** Publishes one message; resolves to its id. */
  publish<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<string> {
    // Not async: one frame less per publish; every refusal still arrives as a rejection.
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    let built: OutgoingMessage | Promise<OutgoingMessage>;
    try {
      built = this.pipeline.build(message, payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (built instanceof Promise) return built.then((outgoing) => this.send([outgoing]).then(() => outgoing.id));
    const outgoing = built;
    return this.send([outgoing]).then(() => outgoing.id);
  }

  /** Publishes several messages in one transport call; resolves to their ids, in order. */
  async publishBatch(entries: readonly BatchEntry[]): Promise<string[]> {
    if (this.closed) throw new ClosedError('producer');
    // Every entry is built (and could be refused) before anything is sent.
    const outgoing = await Promise.all(entries.map((e) => this.pipeline.build(e.message, e.payload, e.options)));
    if (outgoing.length > 0) await this.send(outgoing);
    return outgoing.map((m) => m.id);
  }

  /**
   * Publishes messages built elsewhere (an outbox row, a message bridged from another broker) as
   * they are: id, type, topic, key, headers, payload and timestamp kept, so consumers deduplicate a
   * re-sent copy by its id. They go through the publish stack (its middleware and the transport's
   * checks) in one transport call.
   */
  publishEnvelopes(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    if (messages.length === 0) return Promise.resolve();
    return this.send([...messages]);
  }

  /** Refuses new publishes and waits for the ones under way. The transport stays open (the client owns it). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends built messages (refused once closed: a publish whose async validation outlasted close). */
  private send(outgoing: OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    this.pending++;
    return this.pipeline.send(outgoing).then(
      () => this.sent(),
      (error: unknown) => {
        this.sent();
        throw error;
      },
    );
  }

  private sent(): void {
    if (--this.pending === 0 && this.idleWaiters.length > 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}
