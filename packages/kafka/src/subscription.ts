import { type DeliverySink, type Logger, type OutgoingMessage, type Subscription, type SubscriptionSpec } from '@ferry/core/spi';
import { CommitBatcher } from './commit-batcher.ts';
import { KafkaDelivery } from './delivery.ts';
import type { Driver, DriverAdmin, ProducerRecord } from './driver.ts';
import { Fetcher } from './fetcher.ts';
import { HeldRecords } from './held-records.ts';
import { committedOffsets, GroupLag } from './lag.ts';
import { delayTopic, retryTopic } from './names.ts';
import { ReadyRecords } from './ready-records.ts';
import type { ResolvedConfig } from './options.ts';
import type { Entry, Partition } from './partition.ts';
import type { BatchingProducer } from './producer.ts';
import { Settlement } from './settlement.ts';
import { TransactionalSettlement } from './transactional-settlement.ts';
import type { TransactionalProducers } from './transactions.ts';

/** Records handed to core before pump yields to the event loop (I/O, timers) once. */
const HANDS_PER_TURN = 1024;

/** What a subscription needs from its transport. */
export interface SubscriptionDeps {
  readonly driver: Driver;
  readonly config: ResolvedConfig;
  readonly producer: BatchingProducer;
  readonly transactions: TransactionalProducers;
  /** Encodes what a handler publishes inside a transaction, creating its topics. */
  readonly prepare: (messages: readonly OutgoingMessage[]) => Promise<ProducerRecord[]>;
  /** Replay targets: topic -> partition -> offset to start from (none: the group's stored positions). */
  readonly seekTo: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** The transport's admin client (lag). */
  readonly admin: () => Promise<DriverAdmin>;
  /** The application's logger once createClient hands it over (stderr before). */
  readonly logger: () => Logger;
}

/**
 * One Ferry subscription: a Fetcher (the group's kafkajs consumer, reading the topic, this group's
 * retry topic and the topic's delay topic), a buffer of fetched records handed to core while it
 * has room, the retry and delay topics' records held until due (HeldRecords), and what ack, nack
 * and transact do (Settlement, TransactionalSettlement, CommitBatcher).
 *
 * A fetched batch is taken whole while the buffer has room (`consumer.maxBuffered`), so kafkajs
 * fetches the next batch while core works; a full buffer holds fetching back. Buffered records
 * are handed round-robin across partitions (ReadyRecords). Buffered records are
 * not yet delivered: their offsets are not committed, and a revoked partition's are dropped for
 * the next owner. Offsets are committed per partition up to the lowest unfinished offset
 * (OffsetTracker), so concurrency and out-of-order completion never commit past a message still
 * in flight.
 */
export class KafkaSubscription implements Subscription {
  private readonly ready: ReadyRecords;
  private readonly held: HeldRecords;
  private readonly fetcher: Fetcher;
  private readonly settlement: Settlement;
  private readonly groupLag: GroupLag;
  private closing: Promise<void> | undefined;
  /** Records handed since the last event-loop turn (see pump). */
  private handedThisTurn = 0;
  private yielding = false;
  /** pump() waits for core to free a slot (sink.whenRoom). */
  private waitingForRoom = false;

  constructor(
    spec: SubscriptionSpec,
    private readonly sink: DeliverySink,
    private readonly deps: SubscriptionDeps,
  ) {
    const retry = retryTopic(spec.topic, spec.group);
    const commits = new CommitBatcher(() => this.fetcher.consumer, { group: spec.group, logger: deps.logger });
    this.ready = new ReadyRecords(deps.config.consumer.maxBuffered);
    this.held = new HeldRecords((entry) => {
      this.ready.push(entry);
      this.pump();
    });
    this.fetcher = new Fetcher(spec, [spec.topic, retry, delayTopic(spec.topic)], { driver: deps.driver, config: deps.config, commits, seekTo: deps.seekTo }, {
      take: (entry) => this.take(entry),
      released: (part) => this.released(part),
      // Core closes this subscription and subscribes again (SupervisedSubscription).
      died: (error) => this.sink.fail(error),
    });
    this.groupLag = new GroupLag(deps.admin, spec.group, () => this.fetcher.assigned);
    this.settlement = new Settlement(spec, {
      commits,
      transactional: new TransactionalSettlement({
        transactions: deps.transactions,
        commits,
        prepare: deps.prepare,
        committedOffset: async (topic, partition) => (await committedOffsets(await deps.admin(), spec.group, [topic])).get(topic)?.get(partition) ?? -1,
        outcomeWithinMs: deps.config.transactionTimeoutMs,
        logger: deps.logger,
      }),
      send: (record, message) => deps.producer.send([record], [message]),
      ackAwaitsCommit: deps.config.consumer.ackAwaitsCommit ?? spec.delivery === 'at-most-once',
      retryTopic: retry,
    });
  }

  /** Joins the group and starts fetching; resolves once this member has its first assignment. */
  async start(): Promise<void> {
    try {
      await this.fetcher.start();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.fetcher.stop();
  }

  /** Records after the group's committed offsets on this member's partitions (GroupLag). */
  async lag(): Promise<{ messages: number }> {
    return { messages: await this.groupLag.messages() };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.fetcher.close();
      await this.deps.transactions.closeAll();
    })();
    return this.closing;
  }

  /** A fetched record: held until due (retry and delay topics), or buffered for core. */
  private take(entry: Entry): (() => boolean) | undefined {
    const { maxHeld } = this.deps.config.consumer;
    const dueAt = entry.decoded.dueAt;
    if (entry.part.held && dueAt > Date.now()) {
      this.held.hold(entry, dueAt);
      return this.held.size >= maxHeld ? () => this.held.size < maxHeld : undefined;
    }
    const wait = this.ready.push(entry);
    this.pump();
    return wait;
  }

  /** Revoked or closed: its buffered records are dropped, and its transactional producer (fenced by the next owner). */
  private released(part: Partition): void {
    this.ready.drop(part);
    void this.deps.transactions.release(part.topic, part.partition);
  }

  /**
   * Hands ready records to core while it has room, and waits for room otherwise. Fast handlers
   * settle in promise callbacks, which call pump again: without a pause that chain never returns
   * to the event loop, so the socket is not read (the next fetch's data waits) until the buffer is
   * empty. After `HANDS_PER_TURN` records it yields one event-loop turn.
   */
  private pump(): void {
    if (this.yielding || this.waitingForRoom) return;
    const sink = this.sink;
    while (!this.fetcher.stopped && this.ready.length > 0) {
      if (sink.room <= 0) {
        if (!sink.stopped) {
          this.waitingForRoom = true;
          void sink.whenRoom().then(this.roomFreed);
        }
        break;
      }
      if (++this.handedThisTurn > HANDS_PER_TURN) {
        this.yielding = true;
        setImmediate(() => {
          this.yielding = false;
          this.handedThisTurn = 0;
          this.pump();
        });
        break;
      }
      const entry = this.ready.shift()!;
      if (entry.part.released) continue;
      sink.deliver(new KafkaDelivery(this.settlement, entry));
    }
    // Room in the buffer: a batch waiting on it takes more.
    this.fetcher.wake();
  }

  private readonly roomFreed = (): void => {
    this.waitingForRoom = false;
    this.pump();
  };
}
