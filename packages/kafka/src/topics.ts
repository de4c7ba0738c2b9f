import { FerryError, redactText } from '@ferry/core/spi';
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

  /** Topics known to exist: the hot publish path skips the promise bookkeeping for them. */
  private readonly ready = new Set<string>();

  /** Undefined when every topic is known to exist (no await needed), else a promise. */
  ensureFast(topics: readonly string[]): Promise<void> | undefined {
    for (const t of topics) if (!this.ready.has(t)) return this.ensure(topics);
    return undefined;
  }

  ensure(list: readonly string[]): Promise<void> {
    const topics = [...new Set(list)];
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
    return Promise.all(topics.map((t) => this.known.get(t)!)).then(() => {
      for (const t of topics) this.ready.add(t);
    });
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
      const [absent] = await this.absent(admin, topics);
      if (absent) throw new TopicMissingError(absent);
      return;
    }
    const absent = await this.absent(admin, topics);
    if (absent.length > 0) {
      try {
        await admin.createTopics({
          // Leaders are awaited below: kafkajs's own wait gives up with a retriable error on a busy broker.
          waitForLeaders: false,
          topics: absent.map((topic) => ({
            topic,
            numPartitions: this.config.partitions,
            replicationFactor: this.config.replicationFactor,
            configEntries: Object.entries(this.config.topicConfig).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (error) {
        // Another client may have created some in the meantime; the wait below tells.
        if ((await this.absent(admin, absent)).length === absent.length) {
          throw new FerryError('FERRY_KAFKA_TOPIC', `Could not create Kafka topics ${absent.join(', ')}: ${redactText(String((error as Error)?.message ?? error))}`, { cause: error });
        }
      }
    }
    await this.leadersOf(admin, topics);
  }

  /** Waits until every partition of the topics has a leader (a produce or fetch before fails). */
  private async leadersOf(admin: DriverAdmin, topics: string[]): Promise<void> {
    const deadline = Date.now() + this.config.requestTimeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) {
        throw new FerryError('FERRY_KAFKA_TOPIC', `Kafka topics ${topics.join(', ')} have no partition leaders after ${this.config.requestTimeoutMs} ms${last ? `: ${redactText(String((last as Error).message))}` : ''}`, { cause: last });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async absent(admin: DriverAdmin, topics: string[]): Promise<string[]> {
    const existing = await this.existing(admin, topics);
    return topics.filter((t) => !existing.has(t));
  }

  private async existing(admin: DriverAdmin, topics: string[]): Promise<Set<string>> {
    // listTopics, not a metadata request: that could auto-create the topic on brokers that allow it.
    const all = new Set(await admin.listTopics());
    return new Set(topics.filter((t) => all.has(t)));
  }
}
