import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_GROUP, FerryError, redactText, type Coordinates, type Delivery, type DeliverySink, type Envelope, type Logger, type Subscription, type SubscriptionSpec } from '@ferry/core/spi';
import { pollTimeoutMs } from './client.ts';
import { decode, salvage } from './codec.ts';
import { SQS_LIMITS, type ResolvedConfig } from './options.ts';
import type { QueueInfo } from './queues.ts';
import { SettleBatcher } from './settle-batcher.ts';
import type { UndecodableMessages } from './undecodable.ts';

/**
 * The visibility a long poll longer than this asks for (seconds). An aborted poll's messages are back after this; a
 * received one is extended to the full timeout at once, so this only has to cover the response's
 * way to the client and the extension's way back.
 */
const LONG_POLL_LEASE_SECONDS = 5;

/** Receives failing in a row (with backoff, about 3 s) before the subscription reports itself dead. */
const MAX_RECEIVE_FAILURES = 6;

/** A delivery's `extending` until its first extension: one promise for all of them. */
const SETTLED = Promise.resolve();

/** One received SQS message, settled by core; leased (its visibility extended) until then. */
class SqsDelivery implements Delivery {
  readonly attempt: number;
  readonly coordinates: Coordinates;
  /** When the visibility timeout runs out, as far as we know (extended by the heartbeat). */
  visibleAt: number;
  /** A heartbeat extension in flight: a later visibility change waits for it, so SQS applies them in order. */
  extending: Promise<void> = SETTLED;

  constructor(
    private readonly owner: SqsSubscription,
    readonly envelope: Envelope,
    readonly receiptHandle: string,
    readonly receivedAt: number,
    message: Message,
    queue: QueueInfo,
    visibilityMs: number,
  ) {
    // SQS counts receives itself: release, nack and a crashed consumer's expiry all count up.
    this.attempt = Math.max(1, Number(message.Attributes?.ApproximateReceiveCount ?? 1));
    this.coordinates = { queue: queue.name, messageId: message.MessageId ?? '', receiveCount: this.attempt };
    this.visibleAt = receivedAt + visibilityMs;
  }

  async ack(): Promise<void> {
    this.owner.leases.delete(this);
    await this.owner.settles.ack(this.receiptHandle);
  }

  async nack(delayMs: number): Promise<void> {
    this.owner.leases.delete(this);
    // The retry is the message becoming visible again: after `delayMs`, rounded up to SQS's seconds.
    await this.extending;
    await this.owner.settles.setVisibility(this.receiptHandle, Math.max(0, delayMs) / 1000);
  }

  /** Visible again now, rather than after the visibility timeout. */
  release(): Promise<void> {
    return this.nack(0);
  }
}

/**
 * Receives one queue for one group: enough concurrent long polls to fill core's room (never
 * asking for more than it has), a heartbeat that extends the visibility of deliveries core still
 * holds, and batched settlement.
 */
export class SqsSubscription implements Subscription {
  readonly settles: SettleBatcher;
  /** Deliveries core holds: the heartbeat extends their visibility. */
  readonly leases = new Set<SqsDelivery>();
  /** Messages asked for by polls in flight: counted so core's room is not overfilled when they arrive. */
  private reserved = 0;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly loops: Promise<void>[] = [];
  private pauseWaiters: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly releases = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly visibilityMs: number;
  /** What a receive asks for when it can: SQS's most, or core's whole room if smaller. */
  private readonly fullAsk: number;
  /** Aborts the long polls in flight on stop. */
  private readonly aborter = new AbortController();
  /** Visibility a long poll asks for: what an aborted poll takes is back this soon (extended at once otherwise). */
  private readonly leaseSeconds: number;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: QueueInfo,
    private readonly spec: SubscriptionSpec,
    private readonly config: ResolvedConfig,
    private readonly sink: DeliverySink,
    private readonly undecodable: UndecodableMessages,
    /** The transport's logger (the application's once createClient handed it over). */
    private readonly logger: () => Logger,
  ) {
    this.settles = new SettleBatcher(sqs, queue, config);
    this.visibilityMs = config.visibilityTimeoutSeconds * 1000;
    this.leaseSeconds = Math.min(config.visibilityTimeoutSeconds, LONG_POLL_LEASE_SECONDS);
    this.fullAsk = Math.min(SQS_LIMITS.batchEntries, spec.maxInFlight);
  }

  start(): void {
    const pollers = Math.min(this.config.maxPollers, Math.ceil(this.spec.maxInFlight / SQS_LIMITS.batchEntries));
    for (let i = 0; i < pollers; i++) this.loops.push(this.poll());
    // Ticks several times per visibility timeout, so a lease is renewed well before it runs out.
    const tick = Math.max(200, Math.floor(this.visibilityMs / 4));
    this.heartbeat = setInterval(() => this.extendLeases(tick), tick);
    this.heartbeat.unref();
  }

  /** Messages visible in the queue, waiting to be received (SQS's ApproximateNumberOfMessages). */
  async lag(): Promise<{ messages: number }> {
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return { messages: Number(Attributes?.ApproximateNumberOfMessages ?? 0) };
  }

  private get running(): boolean {
    return !this.sink.stopped && !this.stopped;
  }

  private async poll(): Promise<void> {
    let failures = 0;
    // After a receive that brought messages, the next does not wait: more are likely there.
    let backlog = false;
    while (this.running) {
      const free = this.sink.room - this.reserved;
      // A receive asks for a full batch when another is in flight: smaller asks cost a request
      // (and a delete batch) per few messages. Alone, it takes what room there is.
      if (free <= 0 || (free < this.fullAsk && this.reserved > 0)) {
        await this.sink.whenRoom();
        continue;
      }
      const ask = Math.min(SQS_LIMITS.batchEntries, free);
      this.reserved += ask;
      // The lease starts when SQS hands the messages out, at the latest now.
      const askedAt = Date.now();
      const wait = backlog ? 0 : this.config.waitTimeSeconds;
      let messages: Message[];
      try {
        messages = await this.receive(ask, wait);
        failures = 0;
      } catch (error) {
        this.reserved -= ask;
        if (!this.running) break;
        failures++;
        // Receives that keep failing (the queue deleted, credentials revoked, the endpoint gone):
        // the subscription is dead; core reports it and subscribes again (resolving the queue anew).
        if (failures >= MAX_RECEIVE_FAILURES) {
          this.died(failures, error);
          break;
        }
        if (failures === 1) {
          this.logger().warn({ queue: this.queue.name, failures }, `receiving from SQS queue \`${this.queue.name}\` failed, retrying: ${redactText(error instanceof Error ? error.message : String(error))}`);
        }
        await this.pause(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6)));
        continue;
      }
      this.reserved -= ask;
      backlog = messages.length > 0;
      const leased = wait > LONG_POLL_LEASE_SECONDS && this.leaseSeconds < this.config.visibilityTimeoutSeconds;
      for (const message of messages) this.accept(message, askedAt, leased);
    }
  }

  private died(failures: number, error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.pauseWaiters.splice(0)) w();
    const why = redactText(error instanceof Error ? error.message : String(error));
    this.sink.fail(new FerryError('FERRY_SQS_RECEIVE', `Receiving from SQS queue \`${this.queue.name}\` failed ${failures} times in a row: ${why}`, { cause: error }));
  }

  /**
   * One ReceiveMessage. A long poll (`wait` > 0) is aborted on stop, so closing does not wait for
   * it; but the server keeps an aborted poll until its wait ends and can hand it messages nobody
   * receives (measured on ElasticMQ, reported for AWS). So a long poll asks for a short visibility
   * (`leaseSeconds`, extended to the full timeout as soon as its messages arrive): what an aborted
   * one takes is visible again within seconds. A poll that waits no longer than the lease is not
   * aborted (stop waits for it, as long as an aborted one's messages would be away) and takes the
   * full visibility: frequent closes then cost no receives.
   */
  private async receive(ask: number, wait: number): Promise<Message[]> {
    const response = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queue.url,
        MaxNumberOfMessages: ask,
        WaitTimeSeconds: wait,
        VisibilityTimeout: wait > LONG_POLL_LEASE_SECONDS ? this.leaseSeconds : this.config.visibilityTimeoutSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
      wait > LONG_POLL_LEASE_SECONDS ? { requestTimeout: pollTimeoutMs(this.config), abortSignal: this.aborter.signal } : { requestTimeout: pollTimeoutMs(this.config) },
    );
    return response.Messages ?? [];
  }

  /** `leased`: received with the long poll's short visibility, extended to the full timeout now. */
  private accept(message: Message, askedAt: number, leased: boolean): void {
    const handle = message.ReceiptHandle;
    if (!handle) return;
    let envelope: Envelope;
    try {
      envelope = decode(message, this.spec.topic);
    } catch (error) {
      // A `ferry` attribute that is not Ferry's metadata. Redrive (the dead-letter group) moves it as it is.
      if (this.spec.group !== DEAD_LETTER_GROUP) return this.deadLetter(message, handle, error as Error, askedAt, leased);
      envelope = salvage(message, this.spec.topic);
    }
    const delivery = new SqsDelivery(this, envelope, handle, askedAt, message, this.queue, this.visibilityMs);
    this.leases.add(delivery);
    if (leased) this.extend(delivery);
    // After core stopped it releases the delivery at once: visible again for the group now.
    this.sink.deliver(delivery);
  }

  /** Dead-letters an undecodable message itself (core cannot run it) and deletes it; on failure it stays for the visibility timeout. */
  private deadLetter(message: Message, handle: string, error: Error, askedAt: number, leased: boolean): void {
    const delivery = new SqsDelivery(this, salvage(message, this.spec.topic), handle, askedAt, message, this.queue, this.visibilityMs);
    this.track(
      this.undecodable
        .deadLetter(message, error, this.spec, delivery.coordinates, delivery.attempt)
        .then((done) => (done ? this.settles.ack(handle) : leased ? this.settles.setVisibility(handle, this.config.visibilityTimeoutSeconds) : undefined)),
    );
  }

  /**
   * The heartbeat: a delivery core still holds gets a fresh visibility timeout before the old one
   * runs out, so a slow handler is not redelivered to another consumer meanwhile. Up to
   * `handlerTimeoutMs` (core fails the handler then); after that SQS's own timeout applies.
   */
  private extendLeases(tick: number): void {
    const now = Date.now();
    for (const d of this.leases) {
      if (d.visibleAt - now > 2 * tick) continue;
      if (now - d.receivedAt > this.spec.handlerTimeoutMs + this.visibilityMs) continue;
      this.extend(d);
    }
  }

  /** A fresh visibility timeout; a later visibility change (nack, release) waits for it. */
  private extend(d: SqsDelivery): void {
    d.visibleAt = Date.now() + this.visibilityMs;
    d.extending = d.extending.then(() => this.settles.setVisibility(d.receiptHandle, this.config.visibilityTimeoutSeconds)).catch(() => undefined);
    this.track(d.extending);
  }

  /** Best-effort broker calls that nobody awaits: errors are ignored (SQS's timeout applies), close waits for them. */
  private track(operation: Promise<void>): void {
    const tracked = operation.catch(() => undefined);
    this.releases.add(tracked);
    void tracked.finally(() => this.releases.delete(tracked));
  }

  /** Waits `ms`, or until stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pauseWaiters = this.pauseWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pauseWaiters.push(done);
    });
  }

  /**
   * Stops receiving: aborts the long polls (see `receive`) and resolves once the loops have ended,
   * so nothing is handed over after it. Core releases what it holds only then; a released message
   * that an aborted poll still waiting on the server takes is back after `leaseSeconds`.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      for (const w of this.pauseWaiters.splice(0)) w();
      this.aborter.abort();
      await Promise.allSettled(this.loops);
    })();
    return this.stopping;
  }

  /** Ends the heartbeat and waits for settlements (core released what it held after stop()). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      clearInterval(this.heartbeat);
      await Promise.allSettled([...this.releases]);
      await this.settles.drain().catch(() => undefined);
    })();
    return this.closing;
  }
}
