// Test helper (not exported from index.ts): a stand-in for kafkajs's consumer, for unit tests of
// the subscription's parts. The real-broker tests in integration/kafka are the proof on Kafka.
import type { Envelope } from '@ferry/core/spi';
import { encode, type RecordExtras } from './codec.ts';
import type { Driver, DriverConsumer, DriverMessage } from './driver.ts';

type Listener = (event: { payload: unknown }) => void;
type EachBatch = (payload: {
  batch: { topic: string; partition: number; messages: DriverMessage[] };
  resolveOffset: (offset: string) => void;
  heartbeat: () => Promise<void>;
  isRunning: () => boolean;
  isStale: () => boolean;
}) => Promise<void>;

export class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  /** Every commitOffsets call, in order. */
  readonly commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  readonly seeks: Array<{ topic: string; partition: number; offset: string }> = [];
  readonly resolved: string[] = [];
  heartbeats = 0;
  paused = false;
  disconnected = false;
  /** Runs before a commit is recorded: a test holds commits in flight or fails them here. */
  beforeCommit: (() => Promise<void>) | undefined;
  private eachBatch: EachBatch | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async subscribe(): Promise<void> {}
  async run(options: { eachBatch: EachBatch }): Promise<void> {
    this.eachBatch = options.eachBatch;
  }
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    await this.beforeCommit?.();
    this.commits.push(offsets);
  }
  seek(position: { topic: string; partition: number; offset: string }): void {
    this.seeks.push(position);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {}
  on(event: string, listener: Listener): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
  }

  /** The group assigns these partitions to this member. */
  join(assignment: Record<string, number[]>): void {
    for (const l of this.listeners.get(this.events.GROUP_JOIN) ?? []) l({ payload: { memberAssignment: assignment } });
  }

  crash(error: Error, restart: boolean): void {
    for (const l of this.listeners.get(this.events.CRASH) ?? []) l({ payload: { error, restart } });
  }

  /** kafkajs hands a fetched batch; resolves when eachBatch returns. */
  batch(topic: string, partition: number, messages: DriverMessage[], current: () => boolean = () => true): Promise<void> {
    return this.eachBatch!({
      batch: { topic, partition, messages },
      resolveOffset: (offset) => void this.resolved.push(`${topic}:${partition}@${offset}`),
      heartbeat: async () => void this.heartbeats++,
      isRunning: current,
      isStale: () => false,
    });
  }
}

export function fakeDriver(consumer: FakeConsumer): Driver {
  return { setLogger: () => undefined, consumer: () => consumer as unknown as DriverConsumer, producer: () => notUsed(), admin: () => notUsed() };
}

function notUsed(): never {
  throw new Error('not used by this test');
}

/** A record as the adapter writes it (its envelope header, attempt and due headers), at `offset`. */
export function record(topic: string, offset: number, text: string, extras: RecordExtras = {}): DriverMessage {
  const envelope: Envelope = { id: `${topic}-${offset}`, type: 't', topic, headers: {}, payload: Buffer.from(text), timestamp: 1 };
  const r = encode(envelope, extras);
  return { offset: String(offset), key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, attributes: 0, size: 0 } as unknown as DriverMessage;
}
