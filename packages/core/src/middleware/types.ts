import type { Coordinates } from '../spi/delivery.ts';
import type { Envelope, OutgoingMessage } from '../spi/envelope.ts';
import type { MessageDefinition, PayloadIn } from '../message.ts';
import type { PublishOptions } from '../producer/publish-options.ts';

/** How the consume loop settles a message when the chain has finished (undefined: processed, ack). */
export type Outcome =
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: unknown }
  | { readonly kind: 'dead-letter'; readonly error: unknown }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'ignored' };

/** What every middleware and handler sees about the message being handled. */
export interface MessageContext {
  readonly envelope: Envelope;
  /** 1 on first delivery. */
  readonly attempt: number;
  /** Broker position: partition/offset, queue, receipt handle... */
  readonly coordinates: Coordinates;
  readonly group: string;
  /** Name of the transport (`memory`, `kafka`, ...). */
  readonly transport: string;
  /**
   * Aborted when the loop gives up on this attempt: the handler timed out (the message is retried)
   * or the consumer's close deadline passed (it is released for redelivery).
   */
  readonly signal: AbortSignal;
  /** The decoded payload (after `decode`), validated (after `validateSchema`). */
  payload: unknown;
  /** The definition matched by the envelope's type (after `decode`). */
  definition: MessageDefinition | undefined;
  /** Set by the policy middleware; the loop acks when it stays undefined. */
  outcome: Outcome | undefined;
  /**
   * Publishes from inside the handler. Under exactly-once on a transport with transactions, it
   * joins the transaction that also commits this message's consumption.
   */
  publish<M extends MessageDefinition>(message: M, payload: PayloadIn<M>, options?: PublishOptions): Promise<void>;
  /** Runs `fn` once the message's outcome is durable (before ack; after a transaction commits). */
  onCommit(fn: () => Promise<void>): void;
}

export type HandlerFn = (ctx: MessageContext) => Promise<void>;

/** A middleware wraps the next handler: Watermill's shape, `(next) => (ctx) => ...`. */
export type Middleware = (next: HandlerFn) => HandlerFn;

/** Sends built messages on: the next publish step, the transport at the end. */
export type SendFn = (messages: readonly OutgoingMessage[]) => Promise<void>;

/**
 * A publish-side middleware: it sees the built messages (validated, encoded, ids set) before they
 * are sent, and may replace them (add headers, encrypt the payload) or observe the send.
 */
export type PublishMiddleware = (next: SendFn) => SendFn;
