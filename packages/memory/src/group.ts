import { dueBefore, readyBefore, type Entry } from './entry.ts';
import { Heap } from './heap.ts';
import type { Member } from './member.ts';
import type { LogRecord, TopicLog } from './topic-log.ts';

/** Most deliveries handed out in one turn of the event loop. */
const DISPATCH_BATCH = 1000;

/**
 * One consumer group on one topic: its own position in the topic's log and its own queues, so
 * every group sees every record (fan-out) while the members of a group compete for them.
 *
 * - `ready`: due entries, highest priority first, then publish order.
 * - `delayed`: entries due later (delayed publish, nack with delay); one timer for the earliest.
 * - `parked`: entries whose key has a record unsettled in this group right now. They wait so that
 *   per-key order holds across members; entries of other keys pass them.
 */
export class Group {
  private readonly members: Member[] = [];
  private nextMember = 0;
  private readonly ready = new Heap<Entry>(readyBefore);
  private readonly delayed = new Heap<Entry>(dueBefore);
  private readonly parked = new Map<string, Heap<Entry>>();
  private parkedCount = 0;
  /** Unsettled deliveries per key, across members. */
  private readonly busyKeys = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private dispatchScheduled = false;
  private disposed = false;

  constructor(
    readonly name: string,
    private readonly log: TopicLog,
  ) {
    // A new group starts at the earliest retained record (Kafka's auto.offset.reset=earliest).
    this.seek(log.earliest);
  }

  get memberCount(): number {
    return this.members.length;
  }

  /** Entries waiting in this group (ready, delayed or parked), for tests and docs. */
  get waiting(): number {
    return this.ready.size + this.delayed.size + this.parkedCount;
  }

  join(member: Member): void {
    this.members.push(member);
    this.wake();
  }

  /** Removes a closed member and gives its unsettled entries back, attempt + 1, due now. */
  leave(member: Member, released: readonly Entry[]): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    // Requeue before unblocking the keys, so a released record goes before its key's later ones.
    const now = Date.now();
    for (const entry of released) this.enqueue({ record: entry.record, attempt: entry.attempt + 1, notBefore: now });
    for (const entry of released) this.unblock(entry.record);
    this.wake();
  }

  /** A new record in the topic. */
  appended(record: LogRecord): void {
    this.enqueue({ record, attempt: 1, notBefore: record.notBefore });
    // Entries of records retention dropped are skipped when popped; rebuild if they pile up
    // (a group nobody reads), so a group never holds more than about twice the retained log.
    if (this.waiting > 2 * Math.max(1024, this.log.end - this.log.earliest)) this.dropExpired();
    this.wake();
  }

  acked(entry: Entry): void {
    this.unblock(entry.record);
    this.wake();
  }

  redeliver(entry: Entry, afterMs: number): void {
    this.enqueue({ record: entry.record, attempt: entry.attempt + 1, notBefore: Date.now() + afterMs });
    this.unblock(entry.record);
    this.wake();
  }

  /**
   * Moves the group's position: everything from `offset` on is delivered again (attempt 1),
   * except records a member holds unsettled right now. Pending redeliveries before it are dropped.
   */
  seek(offset: number): void {
    this.ready.clear();
    this.delayed.clear();
    this.parked.clear();
    this.parkedCount = 0;
    const held = new Set(this.members.flatMap((m) => m.heldOffsets()));
    for (let o = Math.max(offset, this.log.earliest); o < this.log.end; o++) {
      const record = this.log.get(o)!;
      if (!held.has(o)) this.enqueue({ record, attempt: 1, notBefore: record.notBefore });
    }
    this.wake();
  }

  /** Stops the timer for good (the broker was reset). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(entry: Entry): void {
    if (entry.notBefore > Date.now()) this.delayed.push(entry);
    else this.ready.push(entry);
  }

  private unblock(record: LogRecord): void {
    const key = record.envelope.key;
    if (key === undefined) return;
    const count = (this.busyKeys.get(key) ?? 1) - 1;
    if (count > 0) {
      this.busyKeys.set(key, count);
      return;
    }
    this.busyKeys.delete(key);
    this.releaseParked(key);
  }

  /** The key is free: only its next entry goes back to ready; the rest stay parked behind it. */
  private releaseParked(key: string): void {
    const waiting = this.parked.get(key);
    const next = waiting?.pop();
    if (!waiting || !next) return;
    this.parkedCount--;
    if (waiting.size === 0) this.parked.delete(key);
    this.ready.push(next);
  }

  /** Per-key order is kept when any member asks for it (core's `orderedByKey`, on by default). */
  private get ordered(): boolean {
    return this.members.some((m) => m.spec.orderedByKey);
  }

  private wake(): void {
    if (this.disposed) return;
    this.armTimer();
    if (this.dispatchScheduled || this.ready.size === 0 || this.members.length === 0) return;
    this.dispatchScheduled = true;
    // Asynchronous, in batches: publish and ack return before any handler runs, and a handler
    // that settles synchronously cannot recurse into dispatch.
    setImmediate(() => this.dispatch());
  }

  private dispatch(): void {
    this.dispatchScheduled = false;
    if (this.disposed) return;
    const ordered = this.ordered;
    const earliest = this.log.earliest;
    for (let handed = 0; ; handed++) {
      if (handed === DISPATCH_BATCH) {
        // Handlers that settle synchronously could keep this loop going for the whole backlog:
        // yield to I/O and timers between batches.
        this.wake();
        return;
      }
      const member = this.pickMember();
      if (!member) break;
      const entry = this.ready.pop();
      if (!entry) break;
      const key = entry.record.envelope.key;
      if (entry.record.offset < earliest) {
        // Dropped by retention: skip it, and let its key's next entry move up if it was waiting.
        if (key !== undefined && !this.busyKeys.has(key)) this.releaseParked(key);
        continue;
      }
      if (key !== undefined) {
        const busy = this.busyKeys.get(key) ?? 0;
        if (busy > 0 && ordered) {
          this.park(key, entry);
          continue;
        }
        this.busyKeys.set(key, busy + 1);
      }
      member.deliver(entry);
    }
  }

  private park(key: string, entry: Entry): void {
    let waiting = this.parked.get(key);
    if (!waiting) this.parked.set(key, (waiting = new Heap<Entry>(readyBefore)));
    waiting.push(entry);
    this.parkedCount++;
  }

  /** Round robin over members with spare capacity. */
  private pickMember(): Member | undefined {
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const index = (this.nextMember + i) % n;
      const member = this.members[index]!;
      if (member.hasCapacity) {
        this.nextMember = (index + 1) % n;
        return member;
      }
    }
    return undefined;
  }

  /** One timer, for the earliest delayed entry; unref'd so it never keeps the process alive. */
  private armTimer(): void {
    const next = this.delayed.peek();
    const due = next ? next.notBefore : Number.POSITIVE_INFINITY;
    if (due === this.timerDue) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = due;
    if (!next) return;
    this.timer = setTimeout(() => this.promoteDue(), Math.max(0, due - Date.now()));
    this.timer.unref();
  }

  private promoteDue(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (let next = this.delayed.peek(); next && next.notBefore <= now; next = this.delayed.peek()) {
      this.ready.push(this.delayed.pop()!);
    }
    this.wake();
  }

  private dropExpired(): void {
    const earliest = this.log.earliest;
    const live = (e: Entry) => e.record.offset >= earliest;
    this.ready.retain(live);
    this.delayed.retain(live);
    this.parkedCount = 0;
    for (const [key, waiting] of this.parked) {
      waiting.retain(live);
      if (waiting.size === 0) this.parked.delete(key);
      else this.parkedCount += waiting.size;
    }
  }
}
