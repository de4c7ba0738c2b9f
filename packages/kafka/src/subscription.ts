import { FerryError, Fifo, redactText, type Coordinates, type Delivery, type DeliverySink, type Envelope, type OutgoingMessage, type Subscription, type SubscriptionSpec } from '@ferry/core/spi';
import { decode, encode, type Decoded } from './codec.ts';
import { onCrash, onGroupJoin, type Driver, type DriverBatch, type DriverConsumer, type GroupJoin } from './driver.ts';
import { delayTopic, retryTopic } from './names.ts';
import type { ResolvedConfig } from './options.ts';
import type { BatchingProducer } from './producer.ts';
import { OffsetTracker } from './tracker.ts';
import type { PartitionTransaction, TransactionalProducers } from './transactions.ts';

/** Records handed to core before pump yields to the event loop (I/O, timers) once. */
const HANDS_PER_TURN = 1024;

/** What a subscription needs from its transport. */
export interface SubscriptionDeps {
  readonly driver: Driver;
  readonly config: ResolvedConfig;
  readonly producer: BatchingProducer;
  readonly transactions: TransactionalProducers;
  /** Checks and encodes what a handler publishes inside a transaction (same rules as `send`). */
  readonly prepare: (messages: readonly OutgoingMessage[]) => Promise<ReturnType<typeof encode>[]>;
  /** Replay targets: topic -> partition -> offset to start from (none: the group's stored positions). */
  readonly seekTo: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/** One assigned partition of one of the subscription's topics. */
class Partition {
  readonly tracker = new OffsetTracker();
  /** Last position committed by this consumer (-1: none yet). */
  committed = -1;
  /**
   * At-most-once only: the offset after the highest acked one. Committed even past earlier
   * offsets not acked yet, because an acked message (its handler may have run) must never be
   * delivered again; those earlier ones are lost on a crash instead, which at-most-once allows.
   */
  ackedAbove = -1;
  /** Revoked by a rebalance or released by close: its deliveries can no longer be committed. */
  released = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Retry and delay topics: records wait until their due time. */
    readonly held: boolean,
  ) {}

  get key(): string {
    this.keyText ??= `${this.topic}:${this.partition}`;
    return this.keyText;
  }

  private keyText: string | undefined;
}

interface Entry {
  readonly part: Partition;
  readonly offset: number;
  readonly decoded: Decoded;
  readonly attempt: number;
  timer?: NodeJS.Timeout | undefined;
}

/**
 * One Ferry subscription = one kafkajs consumer in the Kafka group named after the Ferry group,
 * reading the topic, this group's retry topic and the topic's delay topic.
 *
 * Flow: `eachBatch` takes records in offset order into a buffer, from which they are handed to
 * core while fewer than `maxInFlight` are unsettled. A batch is taken whole while the buffer has
 * room (`consumer.maxBuffered`), so kafkajs fetches the next batch while core works; when the
 * buffer is full `eachBatch` waits (heartbeating), which holds back fetching without refetching.
 * Buffered records are not yet delivered: their offsets are not committed, and a revoked
 * partition's are dropped for the next owner. Records of retry and delay topics wait in memory until due
 * (timers), without blocking anything else. Offsets are committed per partition up to the lowest
 * unfinished offset (OffsetTracker), so concurrency and out-of-order completion never commit past
 * a message still in flight.
 */
export class KafkaSubscription implements Subscription {
  private consumer: DriverConsumer | undefined;
  private readonly parts = new Map<string, Partition>();
  private readonly ready = new Fifo<Entry>();
  private held = 0;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private readonly wakers = new Set<() => void>();
  private readonly commits: Committer;
  private readonly retryTopic: string;
  private readonly delayTopic: string;
  private joinedOnce = false;
  /** Records handed since the last event-loop turn (see pump). */
  private handedThisTurn = 0;
  private yielding = false;
  /** pump() waits for core to free a slot (sink.whenRoom). */
  private waitingForRoom = false;
  private readonly removers: Array<() => void> = [];

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly sink: DeliverySink,
    private readonly deps: SubscriptionDeps,
  ) {
    this.retryTopic = retryTopic(spec.topic, spec.group);
    this.delayTopic = delayTopic(spec.topic);
    this.commits = new Committer(() => this.consumer);
  }

  /** The topics this subscription reads; all must exist before it starts. */
  get topics(): string[] {
    return [this.spec.topic, this.retryTopic, this.delayTopic];
  }

  /** Joins the group and starts fetching; resolves once this member has its first assignment. */
  async start(): Promise<void> {
    const c = this.deps.config.consumer;
    const consumer = this.deps.driver.consumer({
      groupId: this.spec.group,
      sessionTimeoutMs: c.sessionTimeoutMs,
      heartbeatIntervalMs: c.heartbeatIntervalMs,
      rebalanceTimeoutMs: c.rebalanceTimeoutMs,
      maxBytesPerPartition: c.maxBytesPerPartition,
      maxWaitTimeMs: c.maxWaitTimeMs,
      readCommitted: true,
    });
    this.consumer = consumer;
    let joined!: () => void;
    let failed!: (error: Error) => void;
    const firstJoin = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    this.removers.push(
      onGroupJoin(consumer, (join) => {
        this.onJoin(join);
        joined();
      }),
      onCrash(consumer, (error, restart) => {
        if (!restart) failed(new FerryError('FERRY_KAFKA_CONSUMER', `Kafka consumer of group ${this.spec.group} on ${this.spec.topic} stopped: ${redactText(error.message)}`, { cause: error }));
      }),
    );
    await consumer.connect();
    // A new group starts at the earliest retained record (spec.start 'stored' for a new group).
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches of different partitions are taken concurrently: one waiting partition does not hold the others.
      partitionsConsumedConcurrently: Math.min(64, this.deps.config.partitions * 3),
      eachBatch: (payload) => this.eachBatch(payload.batch, payload.resolveOffset, payload.heartbeat, () => payload.isRunning() && !payload.isStale()),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FerryError('FERRY_KAFKA_CONSUMER', `Kafka consumer group ${this.spec.group} did not assign partitions of ${this.spec.topic} within ${c.rebalanceTimeoutMs} ms`)), c.rebalanceTimeoutMs);
    });
    try {
      await Promise.race([firstJoin, timeout]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // No more fetching; the consumer stays in the group so acks of unsettled deliveries still commit.
    try {
      this.consumer?.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // not running (start failed)
    }
    this.wake();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.stop();
    // Commit what finished, then release the rest: unsettled offsets stay uncommitted and go to the next owner.
    await this.commits.flush([...this.parts.values()]);
    for (const part of this.parts.values()) this.release(part);
    this.parts.clear();
    for (const remove of this.removers.splice(0)) remove();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.deps.transactions.closeAll();
  }

  private onJoin(join: GroupJoin): void {
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(join.memberAssignment)) for (const p of partitions) assigned.add(`${topic}:${p}`);
    // Partitions given up: whatever is unsettled there is not committed and goes to the new owner.
    for (const [key, part] of this.parts) {
      if (!assigned.has(key)) {
        this.release(part);
        this.parts.delete(key);
        void this.deps.transactions.release(part.topic, part.partition);
      }
    }
    if (!this.joinedOnce) {
      this.joinedOnce = true;
      // Replay (the group was not running, see groupIsIdle): the partitions this member got start
      // from the asked position, committed as the group's for whoever owns them next.
      for (const [topic, positions] of this.deps.seekTo) {
        for (const p of join.memberAssignment[topic] ?? []) {
          const offset = positions.get(p);
          if (offset === undefined) continue;
          this.consumer!.seek({ topic, partition: p, offset: String(offset) });
          const part = this.partition(topic, p);
          part.tracker.next = offset;
          // Stored as the group's position too, once the consumer runs (commits before that are dropped by kafkajs).
          setTimeout(() => void this.commits.request(part), 0).unref();
        }
      }
    }
    this.wake();
  }

  private partition(topic: string, partition: number): Partition {
    const key = `${topic}:${partition}`;
    let part = this.parts.get(key);
    if (!part) {
      part = new Partition(topic, partition, topic !== this.spec.topic);
      this.parts.set(key, part);
    }
    return part;
  }

  private release(part: Partition): void {
    part.released = true;
    this.ready.retain((entry) => entry.part !== part);
    this.wake();
  }

  private async eachBatch(batch: DriverBatch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>, current: () => boolean): Promise<void> {
    if (this.stopped || !current()) return;
    const part = this.partition(batch.topic, batch.partition);
    const { maxHeld, maxBuffered } = this.deps.config.consumer;
    // kafkajs's resolveOffset and isStale cost about a microsecond each (Long arithmetic, map
    // lookups): resolve once per stretch of records taken, and look at `current` only after an
    // await, the only place where a rebalance or a seek can have happened.
    let unresolved: string | undefined;
    const resolve = () => {
      if (unresolved !== undefined) resolveOffset(unresolved);
      unresolved = undefined;
    };
    for (const message of batch.messages) {
      if (this.stopped || part.released) break;
      const offset = Number(message.offset);
      unresolved = message.offset;
      // Refetched after a rebalance kept this partition here: already taken.
      if (part.tracker.seen(offset)) continue;
      const decoded = decode(batch.topic, batch.partition, message);
      const entry: Entry = { part, offset, decoded, attempt: decoded.attempt };
      part.tracker.take(offset);
      let wait: (() => boolean) | undefined;
      if (part.held && decoded.dueAt > Date.now()) {
        this.hold(entry, decoded.dueAt);
        if (this.held >= maxHeld) wait = () => this.held < maxHeld;
      } else {
        this.ready.push(entry);
        this.pump();
        // The batch is taken whole while the buffer has room, so kafkajs fetches the next one
        // while core is still working; a full buffer holds fetching back.
        // (It resumes at half full, not at the first free place: fewer wake-ups.)
        if (this.ready.length >= maxBuffered) wait = () => this.ready.length <= maxBuffered / 2;
      }
      if (wait) {
        resolve();
        await this.waitUntil(wait, heartbeat, part, current);
        if (!current()) return;
      }
    }
    resolve();
  }

  /** Waits (heartbeating, so the group keeps us) until `done`, or until there is no point: stopped, revoked. */
  private async waitUntil(done: () => boolean, heartbeat: () => Promise<void>, part: Partition, current: () => boolean): Promise<void> {
    const interval = this.deps.config.consumer.heartbeatIntervalMs;
    // Not current: kafkajs is stopping (a crash restart, disconnect) or seeking; it fetches the rest again.
    while (!done() && !this.stopped && !part.released && current()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, interval);
        function finish() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.add(finish);
      });
      // Throws when the group rebalances: kafkajs then rejoins (the batch's rest is fetched again).
      if (!done() && !this.stopped && !part.released && current()) await heartbeat();
    }
  }

  private wake(): void {
    if (this.wakers.size === 0) return;
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  /** Keeps a record in memory until `dueAt` (epoch ms), then makes it ready. */
  private hold(entry: Entry, dueAt: number): void {
    this.held++;
    const arm = () => {
      entry.timer = setTimeout(() => {
        // Timers can fire a millisecond before Date.now() reaches the due time: never early.
        if (Date.now() < dueAt) return arm();
        entry.timer = undefined;
        this.held--;
        if (entry.part.released) return;
        this.ready.push(entry);
        this.pump();
      }, dueAt - Date.now());
      entry.timer.unref();
    };
    arm();
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
    while (!this.stopped && this.ready.length > 0) {
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
      sink.deliver(new KafkaDelivery(this, entry));
    }
    this.wake();
  }

  private readonly roomFreed = (): void => {
    this.waitingForRoom = false;
    this.pump();
  };

  /** Settles a delivery as done (KafkaDelivery.ack). */
  async ack(entry: Entry): Promise<void> {
    if (entry.part.released) return; // revoked: the next owner has it
    entry.part.tracker.finish(entry.offset);
    if (this.spec.delivery === 'at-most-once') entry.part.ackedAbove = Math.max(entry.part.ackedAbove, entry.offset + 1);
    // Awaited: the offset is stored before ack() resolves, which at-most-once needs (it acks before
    // the handler). Not awaited: at-least-once throughput without an offset commit per handler slot.
    if (this.deps.config.consumer.ackAwaitsCommit ?? this.spec.delivery === 'at-most-once') await this.commits.request(entry.part);
    else this.commits.mark(entry.part);
  }

  /**
   * Redelivery to this group only: a copy with attempt+1 and a due time goes to the group's retry
   * topic (read back by this subscription, held until due); the original's offset is then done.
   * Exactly-once writes both in one transaction of the partition's transactional producer: a crash
   * between a plain copy and a plain commit would leave the copy and redeliver the original too,
   * two attempts that a per-process idempotency store (empty after the crash) would both run.
   * When the copy is not written (or its transaction does not commit) this rejects and changes
   * nothing: the offset stays unfinished, and core calls nack again with backoff.
   */
  async nack(entry: Entry, delayMs: number): Promise<void> {
    if (entry.part.released) return;
    const { envelope } = entry.decoded;
    const copy = encode(envelope, { recordTopic: this.retryTopic, attempt: entry.attempt + 1, dueAt: Date.now() + delayMs });
    if (this.spec.delivery === 'exactly-once') return this.nackInTransaction(entry, copy);
    await this.deps.producer.send([copy], [envelope]);
    entry.part.tracker.finish(entry.offset);
    await this.commits.request(entry.part);
  }

  /** The retry copy and this offset in one transaction; rejects if it did not commit. */
  private async nackInTransaction(entry: Entry, copy: ReturnType<typeof encode>): Promise<void> {
    const { part } = entry;
    // A plain commit of this partition still under way must not land after (and undo) the transaction's.
    await this.commits.idle();
    let tx: PartitionTransaction | undefined;
    try {
      tx = await this.deps.transactions.begin(part.topic, part.partition);
      await tx.send([copy]);
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the retry.`);
      await this.commitTransaction(tx, entry);
    } catch (error) {
      if (tx) await this.abandonTransaction(tx, part);
      throw error;
    }
  }

  /** Commits `tx` with the partition's position past this entry, and records the entry finished. */
  private async commitTransaction(tx: PartitionTransaction, entry: Entry): Promise<void> {
    const { part } = entry;
    const position = part.tracker.positionWith(entry.offset);
    await tx.commit({ topic: part.topic, partition: part.partition, offset: position });
    part.tracker.finish(entry.offset);
    part.committed = Math.max(part.committed, position);
  }

  /** Aborts `tx` and drops the partition's producer: a fenced or failed producer cannot be reused. */
  private async abandonTransaction(tx: PartitionTransaction, part: Partition): Promise<void> {
    await tx.abort().catch(() => undefined);
    await this.deps.transactions.release(part.topic, part.partition);
  }

  /**
   * Consume-transform-produce: what `work` sends and this delivery's position commit in one Kafka
   * transaction of the partition's transactional producer. Core runs a partition's transactional
   * deliveries one at a time (serialKey), so every earlier offset is settled and the committed
   * position is exactly this offset + 1.
   */
  async transact(entry: Entry, work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    const { part } = entry;
    if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer; the message will be delivered there.`);
    // A plain commit of this partition still under way must not land after (and undo) the transaction's.
    await this.commits.idle();
    // The transaction opens with the first send: a handler that publishes nothing needs only its
    // offset committed, which one plain commit does atomically (far cheaper than a transaction).
    let tx: PartitionTransaction | undefined;
    try {
      await work(async (messages) => {
        const records = await this.deps.prepare(messages);
        tx ??= await this.deps.transactions.begin(part.topic, part.partition);
        await tx.send(records);
      });
      if (part.released) throw new FerryError('FERRY_KAFKA_TRANSACTION', `Partition ${part.key} was given to another consumer during the transaction.`);
      if (tx) {
        await this.commitTransaction(tx, entry);
      } else {
        part.tracker.finish(entry.offset);
        await this.commits.request(part);
      }
    } catch (error) {
      if (tx) await this.abandonTransaction(tx, part);
      throw error;
    }
  }
}

/** A record handed to core; a class rather than closures per record, which a fast consumer feels. */
class KafkaDelivery implements Delivery {
  readonly envelope: Envelope;
  readonly attempt: number;
  private coords: Coordinates | undefined;

  constructor(
    private readonly subscription: KafkaSubscription,
    private readonly entry: Entry,
  ) {
    this.envelope = entry.decoded.envelope;
    this.attempt = entry.attempt;
  }

  /** Made when asked for (dead letters, handlers that log them): most deliveries never are. */
  get coordinates(): Coordinates {
    this.coords ??= { topic: this.entry.part.topic, partition: this.entry.part.partition, offset: this.entry.offset };
    return this.coords;
  }

  get serialKey(): string {
    return this.entry.part.key;
  }

  ack(): Promise<void> {
    return this.subscription.ack(this.entry);
  }

  nack(delayMs: number): Promise<void> {
    return this.subscription.nack(this.entry, delayMs);
  }

  transact(work: (send: (messages: readonly OutgoingMessage[]) => Promise<void>) => Promise<void>): Promise<void> {
    return this.subscription.transact(this.entry, work);
  }
}

/**
 * Commits partition positions with one OffsetCommit at a time; acks that arrive meanwhile are
 * covered by the next one. An ack resolves when the commit after it is done (or failed: a failed
 * commit, e.g. during a rebalance, leaves the offsets to the next commit or to the next owner).
 */
class Committer {
  private readonly dirty = new Set<Partition>();
  private waiters: Array<() => void> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly consumer: () => DriverConsumer | undefined) {}

  request(part: Partition): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.mark(part);
    return done;
  }

  /** Like request(), for a caller that does not wait for the commit. */
  mark(part: Partition): void {
    this.dirty.add(part);
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Commits these partitions' finished positions now (close). */
  async flush(parts: readonly Partition[]): Promise<void> {
    await this.idle();
    if (parts.length === 0) return;
    for (const p of parts) this.dirty.add(p);
    await this.request(parts[0]!);
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty.size > 0) {
      const parts = [...this.dirty];
      this.dirty.clear();
      const waiters = this.waiters;
      this.waiters = [];
      const commits = parts
        .filter((p) => !p.released)
        .map((p) => ({ p, offset: Math.max(p.tracker.position(), p.ackedAbove) }))
        .filter(({ p, offset }) => offset >= 0 && offset > p.committed);
      const consumer = this.consumer();
      if (commits.length > 0 && consumer) {
        try {
          await consumer.commitOffsets(commits.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset: String(offset) })));
          for (const { p, offset } of commits) p.committed = Math.max(p.committed, offset);
        } catch {
          // Rebalance or connection loss: not committed. A later commit covers it, or the next owner redelivers.
        }
      }
      for (const w of waiters) w();
    }
  }
}
