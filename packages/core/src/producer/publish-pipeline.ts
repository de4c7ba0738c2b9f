import { checkOutgoing } from '../capability-check.ts';
import type { Codec } from '../codec.ts';
import type { MessageDefinition, PayloadIn } from '../message.ts';
import { placeMiddleware, type MiddlewareEntry } from '../middleware/placement.ts';
import type { PublishMiddleware, SendFn } from '../middleware/types.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import { buildMessage } from './build-message.ts';
import type { PublishOptions } from './publish-options.ts';

export type PublishEntry = MiddlewareEntry<PublishMiddleware>;

/** The publish stack's built-in steps, outermost first; bare middleware go before `check`. */
export const PUBLISH_STEPS = ['check', 'send'] as const;

/**
 * Builds messages (schema, encoding, id) and sends them through the publish stack:
 *   [your middleware] → check (size, priority, delay against the transport) → send
 * With no middleware (the common case) a publish is checked while it is built and goes straight to
 * the transport: no stack, no extra promise.
 */
export class PublishPipeline {
  private cached: { from: readonly PublishEntry[]; chain: SendFn } | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly codec: Codec,
    /** The client's entries (read at each publish: `client.use` may add some later) then this pipeline's own. */
    private readonly clientEntries: () => readonly PublishEntry[],
    private readonly ownEntries: readonly PublishEntry[] = [],
    private readonly what = 'publish middleware',
  ) {}

  build<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options: PublishOptions | undefined): OutgoingMessage | Promise<OutgoingMessage> {
    return buildMessage(this.transport, this.codec, message, payload, options, !this.hasMiddleware());
  }

  /** Sends built messages through the stack to the transport. */
  send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!this.hasMiddleware()) return this.transport.send(messages);
    return this.chain()(messages);
  }

  /** Through the stack, ending in `terminal` instead of the transport (a transaction's send). */
  sendVia(messages: readonly OutgoingMessage[], terminal: SendFn): Promise<void> {
    if (!this.hasMiddleware()) return terminal(messages);
    return this.compose(this.entries(), terminal)(messages);
  }

  private hasMiddleware(): boolean {
    return this.ownEntries.length > 0 || this.clientEntries().length > 0;
  }

  private entries(): readonly PublishEntry[] {
    const fromClient = this.clientEntries();
    return this.ownEntries.length === 0 ? fromClient : [...fromClient, ...this.ownEntries];
  }

  private chain(): SendFn {
    const fromClient = this.clientEntries();
    if (this.cached?.from !== fromClient) this.cached = { from: fromClient, chain: this.compose(this.entries(), (m) => this.transport.send(m)) };
    return this.cached.chain;
  }

  private compose(entries: readonly PublishEntry[], terminal: SendFn): SendFn {
    const transport = this.transport;
    const check: PublishMiddleware = (next) => (messages) => {
      try {
        for (const m of messages) checkOutgoing(transport, m);
      } catch (error) {
        return Promise.reject(error);
      }
      return next(messages);
    };
    const stack = placeMiddleware<PublishMiddleware>([{ name: 'check', middleware: check }, { name: 'send', middleware: undefined }], entries, 'check', this.what);
    return stack.reduceRight<SendFn>((next, wrap) => wrap(next), terminal);
  }
}
