import { FerryError, redactText } from '@ferry/core';
import type { DriverAdmin } from './driver.ts';
import type { ResolvedConfig } from './options.ts';

/** A topic the transport needs does not exist and may not be created (`topics: 'existing'`). */
export class TopicMissingError extends FerryError {
  readonly topic: string;
  constructor(topic: string) {
    super('FERRY_KAFKA_TOPIC_MISSING', `Kafka topic \`${topic}\` does not exist, and the kafka transport is set to use existing topics only (topics: 'existing'). Create it (with its retry and delay topics, see docs/adapters/kafka.md), or use topics: 'create'.`);
    this.topic = topic;
  }
}

/**
 * Makes sure topics exist before they are produced to or subscribed to: created on first use
 * with the configured partitions and replication, or (topics: 'existing') checked. Each topic is
 * looked at once per transport.
 */
export class Topics {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: () => Promise<DriverAdmin>,
    private readonly config: ResolvedConfig,
  ) {}

  ensure(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => !this.known.has(t));
    if (missing.length > 0) {
      const work = this.create(missing);
      for (const t of missing) {
        const one = work.catch((error: unknown) => {
          this.known.delete(t); // try again on the next use
          throw error;
        });
        one.catch(() => undefined);
        this.known.set(t, one);
      }
    }
    return Promise.all(topics.map((t) => this.known.get(t)!)).then(() => undefined);
  }

  /** Partition numbers of a topic (it must exist). */
  async partitions(topic: string): Promise<number[]> {
    const admin = await this.admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return (topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
  }

  private async create(topics: string[]): Promise<void> {
    const admin = await this.admin();
    if (this.config.topics === 'existing') {
      const existing = await this.existing(admin, topics);
      const absent = topics.find((t) => !existing.has(t));
      if (absent) throw new TopicMissingError(absent);
      return;
    }
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({
          topic,
          numPartitions: this.config.partitions,
          replicationFactor: this.config.replicationFactor,
          configEntries: Object.entries(this.config.topicConfig).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // Another client created it in the meantime: fine. kafkajs reports that per topic.
      const existing = await this.existing(admin, topics).catch(() => new Set<string>());
      if (topics.every((t) => existing.has(t))) return;
      throw new FerryError('FERRY_KAFKA_TOPIC', `Could not create Kafka topics ${topics.join(', ')}: ${redactText(String((error as Error)?.message ?? error))}`, { cause: error });
    }
  }

  private async existing(admin: DriverAdmin, topics: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const topic of topics) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: [topic] });
        if ((meta[0]?.partitions.length ?? 0) > 0) found.add(topic);
      } catch {
        // UNKNOWN_TOPIC_OR_PARTITION: absent
      }
    }
    return found;
  }
}
