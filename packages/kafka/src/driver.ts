/**
 * The one module that talks to kafkajs. Everything else in the adapter uses the narrow types
 * below, which are the subset of the KafkaJS API the adapter needs; a client with a
 * KafkaJS-compatible API (@confluentinc/kafka-javascript's `KafkaJS` namespace,
 * @platformatic/kafka's compat layer) can replace kafkajs by reimplementing this file.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  AssignerProtocol,
  Kafka,
  logLevel as KafkaLogLevel,
  type Admin,
  type Batch,
  type Consumer,
  type IHeaders,
  type ISocketFactory,
  type KafkaMessage,
  type LogEntry,
  type PartitionAssigner,
  type Producer,
  type SASLOptions,
  type Transaction,
} from 'kafkajs';
import { redactSecrets, type Logger } from '@ferry/core/spi';
import { assignPartitions } from './assigner.ts';
import { createPlatformaticDriver } from './driver-platformatic.ts';
import { kafkaLogLine, logLine } from './log-line.ts';
import { stablePartitioner } from './partitioner.ts';
import type { ResolvedConfig } from './options.ts';

export type DriverAdmin = Pick<Admin, 'connect' | 'disconnect' | 'createTopics' | 'listTopics' | 'fetchTopicMetadata' | 'fetchOffsets' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp' | 'describeConfigs' | 'describeGroups'>;
export type DriverProducer = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch' | 'transaction'>;
export type DriverTransaction = Pick<Transaction, 'send' | 'sendBatch' | 'sendOffsets' | 'commit' | 'abort'>;
export type DriverConsumer = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets' | 'seek' | 'pause' | 'resume' | 'on' | 'events'>;
export type DriverBatch = Pick<Batch, 'topic' | 'partition' | 'messages'>;
export type DriverMessage = KafkaMessage;
export type DriverHeaders = IHeaders;
/** One record to produce: the shape `sendBatch` takes. */
export interface ProducerRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer;
  /** Strings are UTF-8 encoded by the client as it writes the request (no Buffer per header here). */
  readonly headers: Record<string, string>;
  readonly timestamp: string;
}
export interface GroupJoin {
  readonly memberAssignment: Readonly<Record<string, readonly number[]>>;
}

export interface ConsumerSettings {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
  /** Read only committed transactional messages. */
  readonly readCommitted: boolean;
  /** After a crash: true lets the client restart its consumer itself, false ends it (a `CRASH` with restart false). */
  readonly restartOnFailure?: (error: Error) => Promise<boolean>;
}

export interface Driver {
  /** Where kafkajs's log lines go from now on (stderr until this is called). */
  setLogger(logger: Logger): void;
  admin(): DriverAdmin;
  producer(settings: { idempotent: boolean; transactionalId?: string; transactionTimeoutMs?: number }): DriverProducer;
  consumer(settings: ConsumerSettings): DriverConsumer;
}

const LEVELS = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
} as const;

export function createDriver(config: ResolvedConfig): Driver {
  if (config.driver === 'platformatic') return createPlatformaticDriver(config);
  const redact = (text: string) => redactSecrets(text, [config.sasl?.password]);
  const threshold = LEVELS[config.logLevel as keyof typeof LEVELS];
  let logger: Logger | undefined;
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.bootstrap].map((b) => config.addressMap[b] ?? b),
    ssl: config.tls === false ? undefined : config.tls === true ? true : { ...config.tls },
    sasl: config.sasl as SASLOptions | undefined,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    retry: { retries: config.retry.retries, initialRetryTime: config.retry.initialRetryTimeMs, maxRetryTime: config.retry.maxRetryTimeMs },
    socketFactory: socketFactory(config.addressMap),
    logLevel: LEVELS[config.logLevel as keyof typeof LEVELS],
    // kafkajs logs connection errors with broker addresses and sometimes SASL details: redacted.
    logCreator: () => (entry: LogEntry) => {
      if (logger === undefined) {
        const line = logLine(entry, threshold, redact);
        if (line !== undefined) process.stderr.write(line + '\n');
        return;
      }
      const line = kafkaLogLine(entry, threshold, redact);
      if (line !== undefined) logger[line.level]({ ...line.fields, namespace: line.namespace }, line.message);
    },
  });
  return {
    setLogger: (given) => {
      logger = given;
    },
    admin: () => kafka.admin(),
    producer: (settings) =>
      kafka.producer({
        idempotent: settings.idempotent || settings.transactionalId !== undefined,
        transactionalId: settings.transactionalId,
        transactionTimeout: settings.transactionTimeoutMs,
        maxInFlightRequests: settings.idempotent || settings.transactionalId ? 1 : undefined,
        allowAutoTopicCreation: false,
        createPartitioner: stablePartitioner,
        // The idempotent producer needs unlimited retries for its guarantees; sends are bounded by
        // the transport's publish timeout instead.
        retry: settings.idempotent || settings.transactionalId ? { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: config.retry.initialRetryTimeMs, maxRetryTime: config.retry.maxRetryTimeMs } : undefined,
      }),
    consumer: (s) =>
      kafka.consumer({
        groupId: s.groupId,
        sessionTimeout: s.sessionTimeoutMs,
        heartbeatInterval: s.heartbeatIntervalMs,
        rebalanceTimeout: s.rebalanceTimeoutMs,
        maxBytesPerPartition: s.maxBytesPerPartition,
        maxWaitTimeInMs: s.maxWaitTimeMs,
        readUncommitted: !s.readCommitted,
        allowAutoTopicCreation: false,
        partitionAssigners: [subscriptionAwareAssigner],
        retry: s.restartOnFailure ? { retries: config.retry.retries, initialRetryTime: config.retry.initialRetryTimeMs, maxRetryTime: config.retry.maxRetryTimeMs, restartOnFailure: s.restartOnFailure } : undefined,
      }),
  };
}

/** Our assigner in kafkajs's shape (see assigner.ts for why it exists). */
const subscriptionAwareAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'FerrySubscriptionAware',
  version: 0,
  async assign({ members, topics }) {
    // kafkajs hands the leader's own topics only; members of one group may read others.
    const subscriptions = members.map((m) => {
      const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      return { memberId: m.memberId, topics: metadata?.topics ?? topics };
    });
    await cluster.addMultipleTargetTopics([...new Set(subscriptions.flatMap((s) => s.topics))]);
    const assignment = assignPartitions(subscriptions, (topic) => cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId));
    return [...assignment].map(([memberId, byTopic]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: byTopic, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'FerrySubscriptionAware', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

/** kafkajs's own socket factory, plus rewriting of advertised broker addresses (addressMap). */
function socketFactory(addressMap: Readonly<Record<string, string>>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const mapped = addressMap[`${host}:${port}`];
    const [h, p] = mapped ? [mapped.slice(0, mapped.lastIndexOf(':')), Number(mapped.slice(mapped.lastIndexOf(':') + 1))] : [host, port];
    const socket = ssl
      ? tls.connect({ host: h, port: p, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host: h, port: p }, onConnect);
    socket.setKeepAlive(true, 60_000);
    guardDataListeners(socket);
    return socket;
  };
}

/**
 * kafkajs decodes responses inside the socket's 'data' listener; a connection cut mid-frame can
 * make that decoder throw (RangeError ERR_BUFFER_OUT_OF_BOUNDS, seen when a proxy reset every
 * socket), and a throw there is an uncaught exception that kills the process. Turn it into a
 * socket error instead: kafkajs then treats the connection as lost and reconnects.
 */
export function guardDataListeners(socket: net.Socket): void {
  const on = socket.on.bind(socket);
  socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
    if (event !== 'data') return on(event, listener);
    return on(event, (...args: unknown[]) => {
      try {
        listener(...args);
      } catch (error) {
        socket.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }) as typeof socket.on;
}

/** The group-join event's assignment, in our shape. */
export function onGroupJoin(consumer: DriverConsumer, listener: (join: GroupJoin) => void): () => void {
  return consumer.on(consumer.events.GROUP_JOIN, (event) => listener({ memberAssignment: event.payload.memberAssignment }));
}

/** Consumer crashes that kafkajs will not recover from by itself. */
export function onCrash(consumer: DriverConsumer, listener: (error: Error, restart: boolean) => void): () => void {
  return consumer.on(consumer.events.CRASH, (event) => listener(event.payload.error, event.payload.restart));
}
