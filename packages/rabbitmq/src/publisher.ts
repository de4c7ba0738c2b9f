import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { ClosedError, NoGroupError, PublishError, redactText } from '@ferry/core/spi';
import { ConnectionError, isConnectionLoss, type ConnectionManager } from './connection-manager.ts';
import type { ResolvedConfig } from './options.ts';
import { publishFrame } from './publish-frame.ts';

/** One message on its way: what to publish, and the caller's promise. */
class Pending {
  returned: string | undefined;
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly content: Buffer,
    readonly options: Options.Publish,
    private readonly message: { readonly id: string; readonly topic: string } | string,
    readonly resolve: () => void,
    readonly reject: (error: Error) => void,
    readonly deadline: number,
  ) {}

  /** It came back (mandatory): for a topic's message, no group keeps it (NoGroupError names the way out). */
  unroutable(): PublishError {
    const where = `${this.returned}: no queue is bound for routing key \`${this.routingKey}\` on exchange \`${this.exchange || '(default)'}\``;
    const m = this.message;
    if (typeof m === 'string') return new PublishError(`${m} was unroutable (${where}).`);
    return new NoGroupError('rabbitmq', m.topic, `message ${m.id} was unroutable, ${where}; with the \`bindings\` option, a group's patterns must match it`);
  }

  /** For error messages: which message, to where (built only when needed). */
  get what(): string {
    const m = this.message;
    return typeof m === 'string' ? m : `message ${m.id} to topic \`${m.topic}\``;
  }
}

const SWEEP_MS = 250;

/**
 * Publishes on one confirm channel with a bounded window of unconfirmed messages (per-message
 * confirm callbacks, never waitForConfirms). A publish resolves on the broker's ack, rejects on its
 * nack or when it came back unroutable (mandatory). When publish() returns false (socket buffer
 * full) nothing more is written until 'drain'. When the connection drops, unconfirmed messages are
 * queued again and resent, in order, once the connection is back; sends made meanwhile wait. Each
 * publish gives up after `publishTimeoutMs` with a PublishError.
 */
export class Publisher {
  private channel: ConfirmChannel | undefined;
  private opening = false;
  private draining = false;
  private closed = false;
  private readonly queue: Pending[] = [];
  private readonly outstanding = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly idle: Array<() => void> = [];

  constructor(
    private readonly manager: ConnectionManager,
    private readonly config: ResolvedConfig,
  ) {}

  /** `about`: the envelope (or a description) the error messages name. */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, about: { readonly id: string; readonly topic: string } | string): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('rabbitmq transport'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push(new Pending(exchange, routingKey, content, options, about, resolve, reject, Date.now() + this.config.publishTimeoutMs));
      this.pump();
    });
  }

  /** Waits (bounded) for everything queued to be confirmed, then closes the channel. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    // Waiting makes sense only while connected: during an outage close() must not hang.
    if (this.queue.length + this.outstanding.size > 0 && this.manager.isReady) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.closed = true;
    for (const p of [...this.outstanding, ...this.queue.splice(0)]) p.reject(new ClosedError('rabbitmq transport'));
    this.outstanding.clear();
    this.stopSweeper();
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private pump(): void {
    const channel = this.channel;
    if (!channel) {
      if (this.queue.length > 0) this.open();
      return;
    }
    const window = this.config.confirmWindow;
    while (this.queue.length > 0 && this.outstanding.size < window && !this.draining && this.channel === channel) {
      const p = this.queue.shift()!;
      this.outstanding.add(p);
      let writable: boolean;
      try {
        writable = publishFrame(channel, p.exchange, p.routingKey, p.content, p.options, (err: unknown) => this.confirmed(channel, p, err));
      } catch (error) {
        // The channel closed under us (IllegalOperationError): the close handler requeues it.
        if (!isConnectionLoss(error)) {
          // Anything else (a field AMQP cannot encode) fails this message. amqplib has already
          // counted it for confirms, so this channel's confirm numbering is off by one: replace
          // the channel (the others unconfirmed on it are resent on the next one).
          this.outstanding.delete(p);
          p.reject(new PublishError(`Could not encode ${p.what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
          channel.close().catch(() => undefined);
        }
        return;
      }
      if (!writable) {
        this.draining = true;
        channel.once('drain', () => {
          this.draining = false;
          this.pump();
        });
      }
    }
    this.ensureSweeper();
  }

  private confirmed(channel: ConfirmChannel, p: Pending, err: unknown): void {
    if (channel !== this.channel || !this.outstanding.has(p)) return; // stale: resent or given up
    if (err instanceof Error && err.message === 'channel closed') return; // the close handler decides
    this.outstanding.delete(p);
    if (err) p.reject(new PublishError(`RabbitMQ did not accept ${p.what} (negative confirm).`, { cause: err }));
    else if (p.returned !== undefined) p.reject(p.unroutable());
    else p.resolve();
    this.pump();
    this.checkIdle();
  }

  private open(): void {
    if (this.opening || this.closed) return;
    this.opening = true;
    this.ensureSweeper();
    void (async () => {
      let retry = false;
      try {
        const connection = await this.manager.ready(this.config.publishTimeoutMs);
        const channel = await connection.createConfirmChannel();
        let channelError: Error | undefined;
        channel.on('error', (error: Error) => (channelError = error));
        channel.on('close', () => this.channelClosed(channel, channelError));
        channel.on('return', (msg: ConsumeMessage) => this.returned(msg));
        if (this.closed) {
          await channel.close().catch(() => undefined);
          return;
        }
        this.channel = channel;
      } catch (error) {
        if ((error instanceof ConnectionError && error.fatal) || error instanceof ClosedError || !(error instanceof ConnectionError || isConnectionLoss(error))) {
          this.failAll(error); // cannot connect at all: everything waiting fails clearly
        } else retry = true; // the connection dropped meanwhile: the sweeper bounds the wait
      } finally {
        this.opening = false;
      }
      if (retry) setTimeout(() => this.pump(), 50);
      else this.pump();
    })();
  }

  private channelClosed(channel: ConfirmChannel, channelError: Error | undefined): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.draining = false;
    const unconfirmed = [...this.outstanding];
    this.outstanding.clear();
    if (channelError) {
      // A channel-level error (e.g. 404: the exchange was deleted): these were not accepted.
      const reason = redactText(channelError.message);
      for (const p of unconfirmed) p.reject(new PublishError(`RabbitMQ closed the publish channel before confirming ${p.what}: ${reason}`, { cause: channelError }));
    } else {
      // The connection dropped: resend once it is back (at-least-once; duplicates are possible).
      this.queue.unshift(...unconfirmed);
    }
    if (!this.closed) this.pump();
    this.checkIdle();
  }

  private returned(msg: ConsumeMessage): void {
    for (const p of this.outstanding) {
      if (
        p.returned === undefined &&
        p.exchange === msg.fields.exchange &&
        p.routingKey === msg.fields.routingKey &&
        p.options.messageId === msg.properties.messageId
      ) {
        p.returned = `${(msg.fields as { replyCode?: number }).replyCode ?? 312} ${(msg.fields as { replyText?: string }).replyText ?? 'NO_ROUTE'}`;
        return;
      }
    }
  }

  private failAll(error: unknown): void {
    const message = error instanceof Error ? redactText(error.message) : String(error);
    for (const p of this.queue.splice(0)) p.reject(new PublishError(`Could not publish ${p.what}: ${message}`, { cause: error }));
    this.checkIdle();
  }

  /** Gives up on publishes older than publishTimeoutMs (no connection, or no confirm). */
  private sweep(): void {
    const now = Date.now();
    const expired = (p: Pending) => p.deadline <= now;
    for (const p of this.outstanding) {
      if (!expired(p)) break; // insertion order = age order
      this.outstanding.delete(p);
      p.reject(new PublishError(`No confirm from RabbitMQ for ${p.what} within ${this.config.publishTimeoutMs} ms.`));
    }
    while (this.queue.length > 0 && expired(this.queue[0]!)) {
      const p = this.queue.shift()!;
      p.reject(new PublishError(`Could not publish ${p.what} within ${this.config.publishTimeoutMs} ms: the connection to RabbitMQ is down.`));
    }
    this.pump();
    this.checkIdle();
  }

  private ensureSweeper(): void {
    if (this.sweeper || this.closed) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.outstanding.size > 0) return;
    this.stopSweeper();
    for (const w of this.idle.splice(0)) w();
  }
}

