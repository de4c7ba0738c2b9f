import type { Driver, DriverProducer, ProducerRecord } from './driver.ts';
import { transactionalId } from './names.ts';

/** One input partition's transaction: what `transact` does in Kafka terms. */
export interface PartitionTransaction {
  send(records: readonly ProducerRecord[]): Promise<void>;
  /** Commits the consumed position with the transaction (TxnOffsetCommit), then the transaction. */
  commit(position: { topic: string; partition: number; offset: number }): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Transactional producers, one per input partition, with a transactional id derived from group,
 * topic and partition: when the partition moves to another process, that process's producer
 * takes the same id and fences this one (and aborts its open transaction), so a zombie cannot
 * commit output for input it no longer owns. kafkajs runs one transaction per producer at a time;
 * core runs a partition's transactional deliveries one at a time (Delivery.serialKey).
 */
export class TransactionalProducers {
  private readonly producers = new Map<string, { producer: DriverProducer; ready: Promise<void> }>();

  constructor(
    private readonly driver: Driver,
    private readonly group: string,
    private readonly timeoutMs: number,
  ) {}

  /** Connects (and so fences older holders of the id) without starting a transaction. */
  prepare(topic: string, partition: number): Promise<void> {
    return this.entry(topic, partition).ready;
  }

  async begin(topic: string, partition: number): Promise<PartitionTransaction> {
    const { producer, ready } = this.entry(topic, partition);
    await ready;
    const tx = await producer.transaction();
    const group = this.group;
    return {
      async send(records) {
        const byTopic = new Map<string, ProducerRecord[]>();
        for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
        await tx.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([t, rs]) => ({ topic: t, messages: rs.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })) })),
        });
      },
      async commit(position) {
        await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: position.topic, partitions: [{ partition: position.partition, offset: String(position.offset) }] }] });
        await tx.commit();
      },
      async abort() {
        await tx.abort();
      },
    };
  }

  /** Drops a partition's producer (after it was revoked), e.g. because a fenced producer cannot be used again. */
  async release(topic: string, partition: number): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const found = this.producers.get(key);
    this.producers.delete(key);
    if (found) await found.producer.disconnect().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map((p) => p.producer.disconnect().catch(() => undefined)));
  }

  private entry(topic: string, partition: number): { producer: DriverProducer; ready: Promise<void> } {
    const key = `${topic}\u0000${partition}`;
    let found = this.producers.get(key);
    if (!found) {
      const producer = this.driver.producer({ idempotent: true, transactionalId: transactionalId(this.group, topic, partition), transactionTimeoutMs: this.timeoutMs });
      const ready = producer.connect();
      ready.catch(() => this.producers.delete(key));
      found = { producer, ready };
      this.producers.set(key, found);
    }
    return found;
  }
}
