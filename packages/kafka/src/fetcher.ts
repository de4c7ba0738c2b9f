import { FerryError, redactText, type SubscriptionSpec } from '@ferry/core/spi';
import { decode } from './codec.ts';
import type { CommitBatcher } from './commit-batcher.ts';
import { onCrash, onGroupJoin, type Driver, type DriverBatch, type DriverConsumer, type GroupJoin } from './driver.ts';
import type { ResolvedConfig } from './options.ts';
import { Partition, type Entry } from './partition.ts';

export interface FetcherDeps {
  readonly driver: Driver;
  readonly config: ResolvedConfig;
  readonly commits: CommitBatcher;
  /** Replay targets: topic -> partition -> offset to start from (none: the group's stored positions). */
  readonly seekTo: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

export interface FetcherTarget {
  /**
   * Takes a record (in offset order within its partition). Returns a condition to wait for
   * before taking more (a full buffer), or undefined to go on.
   */
  take(entry: Entry): (() => boolean) | undefined;
  /** A partition was revoked, or the fetcher closed: its records are the next owner's now. */
  released(part: Partition): void;
  /** The consumer crashed after its first join and will not restart: nothing more is fetched. */
  died(error: FerryError): void;
}

/**
 * The kafkajs consumer of one subscription, in the Kafka group named after the Ferry group: joins
 * it, follows its assignments (a revoked partition's records go to the next owner; a replay seeks
 * the partitions this member gets first) and takes fetched records in offset order. A record is
 * taken once even when a rebalance makes kafkajs fetch it again (OffsetTracker.seen). When the
 * target asks to wait, the batch waits heartbeating, which holds fetching back without refetching.
 */
export class Fetcher {
  private driverConsumer: DriverConsumer | undefined;
  private readonly parts = new Map<string, Partition>();
  private readonly wakers = new Set<() => void>();
  private readonly removers: Array<() => void> = [];
  private joinedOnce = false;
  private assignment: Readonly<Record<string, readonly number[]>> = {};
  private paused = false;
  private closing = false;

  constructor(
    private readonly spec: SubscriptionSpec,
    /** The topic, its retry and its delay topic: records of the last two are `held` until due. */
    private readonly topics: readonly string[],
    private readonly deps: FetcherDeps,
    private readonly target: FetcherTarget,
  ) {}

  get consumer(): DriverConsumer | undefined {
    return this.driverConsumer;
  }

  /** This member's partitions by topic, as of the last group join. */
  get assigned(): Readonly<Record<string, readonly number[]>> {
    return this.assignment;
  }

  get stopped(): boolean {
    return this.paused;
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
      // Once joined, a crash ends the consumer instead of kafkajs restarting it in place forever
      // (a deleted topic, a broker gone for good): the subscription reports it dead and core
      // subscribes again with backoff. Before the first join kafkajs's restarts ride out a
      // starting broker, bounded by the rebalance timeout below.
      restartOnFailure: async () => !this.joinedOnce,
    });
    this.driverConsumer = consumer;
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
        if (restart || this.closing) return;
        const stopped = new FerryError('FERRY_KAFKA_CONSUMER', `Kafka consumer of group ${this.spec.group} on ${this.spec.topic} stopped: ${redactText(error.message)}`, { cause: error });
        if (this.joinedOnce) this.target.died(stopped);
        else failed(stopped);
      }),
    );
    await consumer.connect();
    // A new group starts at the earliest retained record (spec.start 'stored' for a new group).
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches of different partitions are taken concurrently: one waiting partition does not hold the others.
      partitionsConsumedConcurrently: Math.min(64, this.deps.config.partitions * 3),
      eachBatch: (payload) => this.eachBatch(payload.batch, payload.resolveOffset, payload.heartbeat, () => payload.isRunning() && !payload.isStale()),
    });
    // A first join can take a session timeout (until the coordinator evicts a dead member: a
    // killed process, a member from before a broker restart) and then a rebalance timeout (while
    // it waits for the known members to rejoin). Waiting only the latter failed replacement
    // consumers after a broker restart, and each restart began the rebalance again.
    const joinWithinMs = c.rebalanceTimeoutMs + c.sessionTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FerryError(
              'FERRY_KAFKA_CONSUMER',
              `Kafka consumer group ${this.spec.group} did not assign partitions of ${this.spec.topic} within ${joinWithinMs} ms (consumer.sessionTimeoutMs + rebalanceTimeoutMs)`,
            ),
          ),
        joinWithinMs,
      );
    });
    try {
      await Promise.race([firstJoin, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** No more fetching; the consumer stays in the group so acks of what core holds still commit. */
  stop(): void {
    if (this.paused) return;
    this.paused = true;
    try {
      this.driverConsumer?.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // not running (start failed)
    }
    this.wake();
  }

  /** Commits what finished, releases every partition (what is unfinished goes to the next owner), leaves the group. */
  async close(): Promise<void> {
    this.closing = true;
    this.stop();
    await this.deps.commits.flush([...this.parts.values()]);
    for (const part of this.parts.values()) this.release(part);
    this.parts.clear();
    for (const remove of this.removers.splice(0)) remove();
    await this.driverConsumer?.disconnect().catch(() => undefined);
  }

  /** The target has room again: batches waiting on it look again. */
  wake(): void {
    if (this.wakers.size === 0) return;
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  private onJoin(join: GroupJoin): void {
    this.assignment = join.memberAssignment;
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(join.memberAssignment)) for (const p of partitions) assigned.add(`${topic}:${p}`);
    // Partitions given up: whatever is unfinished there is not committed and goes to the new owner.
    for (const [key, part] of this.parts) {
      if (!assigned.has(key)) {
        this.release(part);
        this.parts.delete(key);
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
          this.driverConsumer!.seek({ topic, partition: p, offset: String(offset) });
          const part = this.partition(topic, p);
          part.tracker.next = offset;
          // Stored as the group's position too, once the consumer runs (commits before that are dropped by kafkajs).
          setTimeout(() => void this.deps.commits.request(part), 0).unref();
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
    this.target.released(part);
    this.wake();
  }

  private async eachBatch(batch: DriverBatch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>, current: () => boolean): Promise<void> {
    if (this.paused || !current()) return;
    const part = this.partition(batch.topic, batch.partition);
    // kafkajs's resolveOffset and isStale cost about a microsecond each (Long arithmetic, map
    // lookups): resolve once per stretch of records taken, and look at `current` only after an
    // await, the only place where a rebalance or a seek can have happened.
    let unresolved: string | undefined;
    const resolve = () => {
      if (unresolved !== undefined) resolveOffset(unresolved);
      unresolved = undefined;
    };
    for (const message of batch.messages) {
      if (this.paused || part.released) break;
      const offset = Number(message.offset);
      unresolved = message.offset;
      // Refetched after a rebalance kept this partition here: already taken.
      if (part.tracker.seen(offset)) continue;
      part.tracker.take(offset);
      const wait = this.target.take({ part, offset, decoded: decode(batch.topic, batch.partition, message) });
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
    while (!done() && !this.paused && !part.released && current()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, interval);
        function finish() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.add(finish);
      });
      // Throws when the group rebalances: kafkajs then rejoins (the batch's rest is fetched again).
      if (!done() && !this.paused && !part.released && current()) await heartbeat();
    }
  }
}
