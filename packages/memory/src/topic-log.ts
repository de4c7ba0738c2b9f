import type { Envelope } from '@ferry/core/spi';

/** One published message as the broker keeps it. Immutable once appended. */
export interface LogRecord {
  /** Position in the topic, from 0, never reused (retention does not renumber). */
  readonly offset: number;
  /** Broker append time (ms), never decreasing along the log: what timestamp replay searches. */
  readonly timestamp: number;
  readonly envelope: Envelope;
  /** 0..255, higher first. */
  readonly priority: number;
  /** Not delivered before this time (ms); 0 for an undelayed publish. */
  readonly notBefore: number;
}

/**
 * An append-only log of one topic with bounded retention: past `retain` records the oldest are
 * dropped (like Kafka's retention, a group that lags further loses them). Offsets stay absolute.
 */
export class TopicLog {
  private records: LogRecord[] = [];
  /** Index in `records` of the earliest retained record (dropped ones are trimmed lazily). */
  private head = 0;
  private nextOffset = 0;
  private lastTimestamp = 0;

  constructor(
    readonly name: string,
    private readonly retain: number,
  ) {}

  /** Offset of the earliest retained record (== end when empty). */
  get earliest(): number {
    return this.nextOffset - (this.records.length - this.head);
  }

  /** Offset the next append gets. */
  get end(): number {
    return this.nextOffset;
  }

  append(envelope: Envelope, priority: number, notBefore: number): LogRecord {
    this.lastTimestamp = Math.max(this.lastTimestamp, Date.now());
    const record: LogRecord = { offset: this.nextOffset++, timestamp: this.lastTimestamp, envelope, priority, notBefore };
    this.records.push(record);
    if (this.records.length - this.head > this.retain) this.dropOldest();
    return record;
  }

  get(offset: number): LogRecord | undefined {
    return offset >= this.earliest ? this.records[this.head + offset - this.earliest] : undefined;
  }

  /** First offset whose append time is >= `timestamp` (the end if none). Binary search. */
  offsetForTimestamp(timestamp: number): number {
    let lo = this.head;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.records[mid]!.timestamp < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.records.length ? this.records[lo]!.offset : this.end;
  }

  private dropOldest(): void {
    this.head++;
    // Compact once half the array is dropped records: amortised O(1) per append.
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }
}
