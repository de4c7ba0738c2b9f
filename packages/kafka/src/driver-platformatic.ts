/**
 * The Driver (driver.ts) over @platformatic/kafka 1.x instead of kafkajs: the same narrow
 * KafkaJS-shaped interfaces, so the rest of the adapter does not know which client runs.
 *
 * How kafkajs behaviours the adapter relies on map here:
 * - eachBatch: the client's MessagesStream yields single records; they are queued per partition
 *   and each partition's queue is handed to eachBatch as one batch, partitions concurrently
 *   (kafkajs's partitionsConsumedConcurrently). The stream pauses while the queues are full.
 *   heartbeat() is a no-op (the client heartbeats on its own timer); a batch is stale once its
 *   partition is no longer assigned or was sought.
 * - GROUP_JOIN / CRASH: from the client's `consumer:group:join` and from stream or group errors.
 * - seek: the stream's next fetch offset, set again after the client reloads committed offsets
 *   on a join (which would otherwise undo it).
 * - transactions with sendOffsets: AddOffsetsToTxn + TxnOffsetCommit without a generation (as
 *   kafkajs sends them), the group coordinator found by the admin client.
 * - Not mapped: addressMap (the client has no socket factory; resolveConfig refuses it with this
 *   driver), kafkajs log lines (the client logs through `debug`; the errors it emits are logged
 *   here instead).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type {
  Admin,
  Consumer,
  Producer,
  ConsumeOptions,
  ConsumerOptions,
  Message,
  MessagesStream,
  SASLOptions,
  ExtendedGroupProtocolSubscription,
  ClusterMetadata,
  GroupPartitionsAssignments,
  GroupAssignment,
} from '@platformatic/kafka';
import type * as PlatformaticKafka from '@platformatic/kafka';
import { ConfigError, FerryError, redactSecrets, type Logger } from '@ferry/core/spi';
import { assignPartitions } from './assigner.ts';
import type { ConsumerSettings, Driver, DriverAdmin, DriverConsumer, DriverMessage, DriverProducer, DriverTransaction } from './driver.ts';
import { fnv1a, recordIdentity } from './partitioner.ts';
import type { ResolvedConfig } from './options.ts';

const READ_COMMITTED = 1;
const READ_UNCOMMITTED = 0;
const LATEST = -1n;
const EARLIEST = -2n;
const GROUP_KEY = 0;

type Client = { close(force?: boolean): Promise<void>; on(event: string, listener: (...args: never[]) => void): unknown };

let loaded: typeof PlatformaticKafka | undefined;

/**
 * The client, loaded on first use: a process on the default driver never loads it. It is an ES
 * module; it needs Node.js >= 20.19.4, which can require() one synchronously.
 */
function platformatic(): typeof PlatformaticKafka {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@platformatic/kafka') as typeof PlatformaticKafka;
  } catch (cause) {
    throw new ConfigError('kafka.driver', `'platformatic' needs @platformatic/kafka, which did not load (${(cause as Error).message})`, "Use Node.js 20.19.4 or later (22.18+, 24.6+), or driver: 'kafkajs'.");
  }
  return loaded;
}

export function createPlatformaticDriver(config: ResolvedConfig): Driver {
  platformatic(); // fail at creation, not at the first connect, where the client cannot load
  const redact = (text: string) => redactSecrets(text, [config.sasl?.password]);
  let logger: Logger | undefined;
  const logError = (where: string, error: unknown) => {
    if (config.logLevel === 'nothing') return;
    const message = redact(`${where}: ${String((error as Error)?.message ?? error)}`);
    if (logger) logger.error({ namespace: 'platformatic' }, message);
    else process.stderr.write(`[ferry kafka] ${message}\n`);
  };
  const base = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.bootstrap],
    connectTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    timeout: config.requestTimeoutMs,
    retries: config.retry.retries,
    retryDelay: config.retry.initialRetryTimeMs,
    autocreateTopics: false,
    ...(config.tls === false ? {} : { tls: config.tls === true ? {} : { ...config.tls } }),
    ...(config.sasl ? { sasl: { mechanism: config.sasl.mechanism.toUpperCase(), username: config.sasl.username, password: config.sasl.password } as SASLOptions } : {}),
  };
  const coordinators = new Map<string, Promise<number>>();
  const coordinatorOf = (group: string): Promise<number> => {
    let found = coordinators.get(group);
    if (!found) {
      // Once per group: a short-lived admin client, so nothing stays open after the transport closes.
      const admin = new (platformatic().Admin)({ ...base, clientId: `${config.clientId}-coordinators` });
      found = admin
        .findCoordinator({ keyType: GROUP_KEY as 0, keys: [group] })
        .then((r) => r.find((c) => c.key === group)!.nodeId)
        .finally(() => void admin.close().catch(() => undefined));
      found.catch(() => coordinators.delete(group));
      coordinators.set(group, found);
    }
    return found;
  };
  const watch = (client: Client, name: string) => void client.on('error', (error: Error) => logError(name, error));
  return {
    setLogger: (given) => {
      logger = given;
    },
    admin: () => {
      const admin = new (platformatic().Admin)(base);
      watch(admin, 'admin');
      return adminOf(admin);
    },
    producer: (settings) => {
      const producer = new (platformatic().Producer)<Buffer, Buffer, string, string>({
        ...base,
        idempotent: settings.idempotent || settings.transactionalId !== undefined,
        ...(settings.transactionalId ? { transactionalId: settings.transactionalId } : {}),
        ...(settings.transactionTimeoutMs ? { transactionTimeout: settings.transactionTimeoutMs } : {}),
        acks: -1,
        // The idempotent producer keeps one request per partition in flight, like kafkajs's maxInFlightRequests 1.
        ...(settings.idempotent || settings.transactionalId ? { maxInflights: 1 } : {}),
        partitioner: stablePartitioner,
        serializers: { headerKey: platformatic().stringSerializer, headerValue: platformatic().stringSerializer },
      });
      watch(producer, 'producer');
      return producerOf(producer, settings.idempotent || settings.transactionalId !== undefined, settings.transactionalId !== undefined, coordinatorOf);
    },
    consumer: (settings) => new PlatformaticConsumer(base, settings, logError) as unknown as DriverConsumer,
  };
}

/** kafkajs's default partitioner (Java's murmur2), keyless records by the header holding their id (see partitioner.ts). */
function stablePartitioner(message: { headers?: unknown }, key: Buffer | undefined): number {
  if (key !== undefined && key.length > 0) return platformatic().murmur2(key) & 0x7fffffff;
  const id = recordIdentity(message.headers as Record<string, string> | Map<string, string> | undefined);
  return typeof id === 'string' ? fnv1a(id) : 0;
}

function adminOf(admin: Admin): DriverAdmin {
  async function topicOffsets(topic: string, timestamp: bigint, isolation: number) {
    const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
    const count = meta.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, p) => ({ partitionIndex: p, timestamp }));
    const listed = await admin.listOffsets({ topics: [{ name: topic, partitions }], isolationLevel: isolation as 0 });
    return new Map((listed.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }
  const driverAdmin = {
    connect: async () => {
      await admin.listTopics();
    },
    disconnect: () => admin.close(),
    createTopics: async ({ topics }: { topics: Array<{ topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: Array<{ name: string; value: string }> }> }) => {
      // One request per shape (the client takes one partition count and one config for all topics of a request).
      const shapes = new Map<string, typeof topics>();
      for (const t of topics) {
        const shape = JSON.stringify([t.numPartitions ?? -1, t.replicationFactor ?? -1, t.configEntries ?? []]);
        shapes.set(shape, [...(shapes.get(shape) ?? []), t]);
      }
      let created = true;
      for (const group of shapes.values()) {
        const first = group[0]!;
        try {
          await admin.createTopics({ topics: group.map((t) => t.topic), partitions: first.numPartitions ?? -1, replicas: first.replicationFactor ?? -1, configs: (first.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })) });
        } catch (error) {
          // As kafkajs: topics another client created meanwhile are not an error.
          if (!onlyAlreadyExists(error)) throw error;
          created = false;
        }
      }
      return created;
    },
    listTopics: () => admin.listTopics(),
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const meta = await admin.metadata({ topics, forceUpdate: true });
      return {
        topics: topics.filter((t) => meta.topics.has(t)).map((name) => ({
          name,
          partitions: meta.topics.get(name)!.partitions.map((p, partitionId) => ({ partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, partitionErrorCode: 0 })),
        })),
      };
    },
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) => {
      const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      const meta = await admin.metadata({ topics });
      return topics.map((topic) => {
        const stored = new Map((group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset]));
        const count = meta.topics.get(topic)?.partitionsCount ?? 0;
        return { topic, partitions: Array.from({ length: count }, (_, partition) => ({ partition, offset: String(stored.get(partition) ?? -1n), metadata: null })) };
      });
    },
    fetchTopicOffsets: async (topic: string) => {
      const high = await topicOffsets(topic, LATEST, READ_COMMITTED);
      const low = await topicOffsets(topic, EARLIEST, READ_UNCOMMITTED);
      return [...high].map(([partition, h]) => ({ partition, offset: String(h), high: String(h), low: String(low.get(partition) ?? 0n) }));
    },
    fetchTopicOffsetsByTimestamp: async (topic: string, timestamp?: number) => {
      const found = await topicOffsets(topic, BigInt(timestamp ?? -1), READ_UNCOMMITTED);
      return [...found].map(([partition, offset]) => ({ partition, offset: String(offset) }));
    },
    describeConfigs: () => Promise.reject(new FerryError('FERRY_KAFKA_DRIVER', 'describeConfigs is not implemented by the platformatic driver.')),
    describeGroups: async (groups: string[]) => {
      const found = await admin.describeGroups({ groups });
      return { groups: groups.map((groupId) => ({ groupId, state: groupState(found.get(groupId)?.state) })) };
    },
  };
  return driverAdmin as unknown as DriverAdmin;
}

function onlyAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] } | undefined)?.errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => (e as { apiId?: unknown }).apiId === 'TOPIC_ALREADY_EXISTS');
}

/** kafkajs names group states as the broker does (`Empty`, `Dead`, ...); the client upper-cases them. */
function groupState(state: string | undefined): string {
  if (state === undefined || state === 'DEAD') return 'Dead';
  if (state === 'EMPTY') return 'Empty';
  return state;
}

interface OutRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Record<string, string>;
  readonly timestamp?: string;
}
interface OutBatch {
  readonly acks?: number;
  readonly topicMessages?: ReadonlyArray<{ readonly topic: string; readonly messages: readonly OutRecord[] }>;
}

function toProduce(batch: OutBatch) {
  const messages = [];
  for (const { topic, messages: records } of batch.topicMessages ?? []) {
    for (const m of records) {
      messages.push({ topic, key: m.key ?? undefined, value: m.value ?? undefined, headers: m.headers, timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp) });
    }
  }
  return messages as Parameters<BufferProducer['send']>[0]['messages'];
}

type BufferProducer = Producer<Buffer, Buffer, string, string>;
type Transaction = NonNullable<BufferProducer['transaction']>;

function producerOf(producer: BufferProducer, idempotent: boolean, transactional: boolean, coordinatorOf: (group: string) => Promise<number>): DriverProducer {
  const driverProducer = {
    // Connecting early makes a bad address or login fail here; the transactional producer takes
    // its id (InitProducerId fences the previous holder), as kafkajs's connect does.
    connect: async () => {
      if (transactional) {
        // The client takes the transactional id at the start of its first transaction: one
        // started and dropped here takes it (producer id and epoch -1: whoever held it before).
        const tx = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
        await tx.cancel();
      } else if (idempotent) await producer.initIdempotentProducer({});
      else await producer.metadata({ topics: [] });
    },
    disconnect: () => producer.close(true),
    sendBatch: async (batch: OutBatch) => {
      await producer.send({ messages: toProduce(batch), acks: batch.acks ?? -1 });
      return [];
    },
    transaction: async () => {
      try {
        return transactionOf(await producer.beginTransaction(), coordinatorOf);
      } catch (error) {
        // A failed begin leaves the client's transaction in place: every later begin would fail.
        await producer.transaction?.cancel().catch(() => undefined);
        throw error;
      }
    },
  };
  return driverProducer as unknown as DriverProducer;
}

function transactionOf(tx: Transaction, coordinatorOf: (group: string) => Promise<number>): DriverTransaction {
  const send = async (batch: OutBatch) => {
    await tx.send({ messages: toProduce(batch) });
    return [];
  };
  const driverTransaction = {
    send: (record: { topic: string; messages: OutRecord[] }) => send({ topicMessages: [record] }),
    sendBatch: send,
    sendOffsets: async ({ consumerGroupId, topics }: { consumerGroupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => {
      // The client reads only groupId from the consumer, and the group's coordinator, generation
      // and member from a consumed message: without a generation (-1), as kafkajs commits.
      await tx.addConsumer({ groupId: consumerGroupId } as Consumer);
      const coordinatorId = await coordinatorOf(consumerGroupId);
      for (const { topic, partitions } of topics) {
        for (const { partition, offset } of partitions) {
          const consumed = { topic, partition, offset: BigInt(offset) - 1n, metadata: { consumer: { groupId: consumerGroupId, generationId: -1, memberId: '', coordinatorId } } };
          await tx.addOffset(consumed as unknown as Message);
        }
      }
    },
    commit: () => tx.commit(),
    abort: () => tx.abort(),
  };
  return driverTransaction as unknown as DriverTransaction;
}

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
interface EachBatchPayload {
  batch: { topic: string; partition: number; messages: DriverMessage[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}
interface RunConfig {
  eachBatch(payload: EachBatchPayload): Promise<void>;
  partitionsConsumedConcurrently?: number;
}

/** Records fetched and not handed to eachBatch yet, over all partitions: above it the stream pauses. */
const QUEUE_LIMIT = 20_000;

/** kafkajs's consumer over the client's Consumer and one MessagesStream. */
class PlatformaticConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  private readonly emitter = new EventEmitter();
  private readonly client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private stream: Stream | undefined;
  private topics: string[] = [];
  private fromBeginning = false;
  private runConfig: RunConfig | undefined;
  private running = false;
  private paused = false;
  private assigned = new Set<string>();
  private readonly queues = new Map<string, { topic: string; partition: number; messages: DriverMessage[]; draining: boolean; scheduled: boolean }>();
  private queued = 0;
  private readonly seeks = new Map<string, bigint>();
  private readonly epochs = new Map<string, number>();
  private crashed = false;

  constructor(
    base: object,
    private readonly settings: ConsumerSettings,
    private readonly logError: (where: string, error: unknown) => void,
  ) {
    this.client = new (platformatic().Consumer)<Buffer, Buffer, Buffer, Buffer>({
      ...(base as Omit<ConsumerOptions<Buffer, Buffer, Buffer, Buffer>, 'groupId'>),
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxWaitTime: settings.maxWaitTimeMs,
      isolationLevel: settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED,
      partitionAssigner: subscriptionAwareAssigner,
    } as ConsumerOptions<Buffer, Buffer, Buffer, Buffer>);
    this.client.on('consumer:group:join', (payload) => this.onJoin(payload.assignments ?? []));
    // A failed rejoin is emitted as 'error': the member is out of the group.
    this.client.on('error', (error: Error) => void this.crash(error));
  }

  on(event: string, listener: (event: { payload: unknown }) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  async connect(): Promise<void> {
    await this.client.metadata({ topics: [] });
  }

  async disconnect(): Promise<void> {
    this.running = false;
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => undefined);
    await (this.client.close(true) as unknown as Promise<void>).catch(() => undefined);
  }

  async subscribe({ topics, fromBeginning }: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...topics])];
    this.fromBeginning = fromBeginning ?? false;
  }

  async run(config: RunConfig): Promise<void> {
    this.runConfig = config;
    this.running = true;
    void this.start();
  }

  pause(_topics: Array<{ topic: string }>): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(_topics: Array<{ topic: string }>): void {
    this.paused = false;
    this.stream?.resume();
    for (const key of this.queues.keys()) this.drain(key);
  }

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    const key = `${topic}:${partition}`;
    this.seeks.set(key, BigInt(offset));
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
    const queue = this.queues.get(key);
    if (queue) {
      this.queued -= queue.messages.length;
      queue.messages = [];
    }
    this.stream?.offsetsToFetch.set(key, BigInt(offset));
  }

  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    await this.client.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) });
  }

  private async start(): Promise<void> {
    try {
      const options: ConsumeOptions<Buffer, Buffer, Buffer, Buffer> = {
        topics: this.topics,
        mode: 'committed',
        fallbackMode: this.fromBeginning ? 'earliest' : 'latest',
        autocommit: false,
        sessionTimeout: this.settings.sessionTimeoutMs,
        heartbeatInterval: this.settings.heartbeatIntervalMs,
        rebalanceTimeout: this.settings.rebalanceTimeoutMs,
        maxBytesPerPartition: this.settings.maxBytesPerPartition,
        maxWaitTime: this.settings.maxWaitTimeMs,
        isolationLevel: this.settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED,
        partitionAssigner: subscriptionAwareAssigner,
        highWaterMark: 4096,
      };
      const stream = await this.client.consume(options);
      if (!this.running) {
        await stream.close().catch(() => undefined);
        return;
      }
      this.stream = stream;
      // A join reloads committed offsets into the stream; a seek made on the join wins over them.
      stream.on('offsets', () => {
        for (const [key, offset] of this.seeks) stream.offsetsToFetch.set(key, offset);
        this.seeks.clear();
      });
      for (const [key, offset] of this.seeks) stream.offsetsToFetch.set(key, offset);
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.onMessage(message));
      stream.on('error', (error: Error) => void this.crash(error));
      if (this.paused) stream.pause();
    } catch (error) {
      await this.crash(error as Error);
    }
  }

  private async crash(error: Error): Promise<void> {
    if (!this.running || this.crashed) return;
    this.logError(`consumer of group ${this.settings.groupId}`, error);
    const restart = this.settings.restartOnFailure ? await this.settings.restartOnFailure(error).catch(() => false) : false;
    this.emitter.emit(this.events.CRASH, { payload: { error, groupId: this.settings.groupId, restart } });
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => undefined);
    if (!restart) {
      this.crashed = true;
      this.running = false;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (this.running) void this.start();
  }

  private onJoin(assignments: GroupAssignment[]): void {
    const memberAssignment: Record<string, number[]> = {};
    const before = this.assigned;
    this.assigned = new Set();
    for (const { topic, partitions } of assignments) {
      memberAssignment[topic] = [...partitions];
      for (const p of partitions) this.assigned.add(`${topic}:${p}`);
    }
    // The stream keeps its fetch position of a partition through a rebalance when the group has
    // no commit for it: a partition lost and given back would go on after records another member
    // took but did not finish. A partition this member did not hold starts where the group stands.
    // (This listener runs before the stream's, which reloads the positions.)
    const positions = this.stream?.offsetsToFetch;
    if (positions) for (const key of [...positions.keys()]) if (!this.assigned.has(key) || !before.has(key)) positions.delete(key);
    // Records of partitions this member lost are the next owner's.
    for (const [key, queue] of this.queues) {
      if (!this.assigned.has(key)) {
        this.queued -= queue.messages.length;
        queue.messages = [];
      }
    }
    this.emitter.emit(this.events.GROUP_JOIN, { payload: { groupId: this.settings.groupId, memberAssignment } });
    this.resumeIfRoom();
  }

  private onMessage(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const key = `${message.topic}:${message.partition}`;
    // A fetch answered after a rebalance: the partition is another member's now.
    if (!this.assigned.has(key)) return;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { topic: message.topic, partition: message.partition, messages: [], draining: false, scheduled: false };
      this.queues.set(key, queue);
    }
    const headers: Record<string, Buffer> = {};
    for (const [name, value] of message.headers) headers[name.toString()] = value;
    queue.messages.push({
      key: message.key ?? null,
      value: message.value ?? null,
      headers,
      timestamp: String(message.timestamp),
      offset: String(message.offset),
      attributes: 0,
      size: 0,
    } as unknown as DriverMessage);
    this.queued++;
    if (this.queued >= QUEUE_LIMIT) this.stream?.pause();
    // The stream pushes a fetch response's records in one synchronous loop: draining after it
    // hands the partition's whole share to one eachBatch instead of a first batch of one record.
    if (!queue.scheduled) {
      queue.scheduled = true;
      queueMicrotask(() => {
        queue.scheduled = false;
        this.drain(key);
      });
    }
  }

  private drain(key: string): void {
    const queue = this.queues.get(key);
    if (!queue || queue.draining || this.paused || queue.messages.length === 0 || !this.runConfig) return;
    queue.draining = true;
    void (async () => {
      try {
        while (queue.messages.length > 0 && !this.paused && this.running) {
          const messages = queue.messages;
          queue.messages = [];
          this.queued -= messages.length;
          this.resumeIfRoom();
          const epoch = this.epochs.get(key) ?? 0;
          const current = () => this.running && this.assigned.has(key) && (this.epochs.get(key) ?? 0) === epoch;
          await this.runConfig!.eachBatch({
            batch: { topic: queue.topic, partition: queue.partition, messages },
            resolveOffset: () => undefined,
            heartbeat: async () => undefined,
            isRunning: () => this.running,
            isStale: () => !current(),
          });
        }
      } catch (error) {
        await this.crash(error as Error);
      } finally {
        queue.draining = false;
      }
    })();
  }

  private resumeIfRoom(): void {
    if (this.queued < QUEUE_LIMIT / 2 && !this.paused && this.stream?.isPaused()) this.stream.resume();
  }
}

/** assigner.ts's assignment in the client's assigner shape (each member's own topics). */
function subscriptionAwareAssigner(_current: string, members: Map<string, ExtendedGroupProtocolSubscription>, topics: Set<string>, metadata: ClusterMetadata): GroupPartitionsAssignments[] {
  const subscriptions = [...members.values()].map((m) => ({ memberId: m.memberId, topics: m.topics ?? [...topics] }));
  const assignment = assignPartitions(subscriptions, (topic) => Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, p) => p));
  return [...assignment].map(([memberId, byTopic]) => ({
    memberId,
    assignments: new Map(Object.entries(byTopic).map(([topic, partitions]) => [topic, { topic, partitions }])),
  }));
}
