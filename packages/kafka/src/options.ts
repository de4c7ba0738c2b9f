import { z } from 'zod';
import { ConfigError, parseOptions, tlsOptionsSchema } from '@ferry/core/spi';

/**
 * Options of the Kafka transport. The URL gives the brokers (`kafka://host:9092`, more with
 * `?brokers=host2:9092,host3:9092`: a URL holds one host), credentials
 * (`kafka://user:pass@host:9092?sasl=scram-sha-256`), `?tls=true` and `?envelope=headers`; the rest is this object.
 */
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
const hostPort = /^[^\s:,]+:\d+$/;

const producerSchema = z.strictObject({
  /** How long the first publish of a batch waits for company (kafkajs has no linger of its own). 0: the next tick. */
  lingerMs: z.number().int().min(0).max(10_000).default(0),
  /** Most bytes in one produce request (the broker's message.max.bytes bounds each partition's record batch). */
  batchBytes: z.number().int().min(1024).default(900_000),
  batchMessages: z.number().int().min(1).max(100_000).default(10_000),
  /** Produce requests in flight at once. 1 keeps publish order across batches. */
  maxInFlightBatches: z.number().int().min(1).max(5).default(1),
  /** Idempotent producer (acks=all either way). */
  idempotent: z.boolean().default(true),
  /** A send the broker has not acknowledged after this long fails with PublishError. */
  timeoutMs: z.number().int().min(100).default(30_000),
});

const consumerSchema = z.strictObject({
  sessionTimeoutMs: z.number().int().min(1000).default(30_000),
  heartbeatIntervalMs: z.number().int().min(50).default(3_000),
  rebalanceTimeoutMs: z.number().int().min(1000).default(60_000),
  /** Most bytes fetched per partition per request. */
  maxBytesPerPartition: z.number().int().min(1024).default(1_048_576),
  maxWaitTimeMs: z.number().int().min(0).default(500),
  /**
   * ack() resolves once the offset commit covering it is done (true), or as soon as the offset is
   * marked finished, committed shortly after (false: about 4x the consume rate; a crash right after
   * an ack can redeliver the message). Default: true for at-most-once consumers (they must not see
   * a message twice), false otherwise.
   */
  ackAwaitsCommit: z.boolean().optional(),
  /**
   * Records fetched and waiting for an in-flight slot, per subscription. While fewer wait, a
   * fetched batch is taken whole and the next fetch runs while core works through this buffer.
   */
  maxBuffered: z.number().int().min(1).default(10_000),
  /** Retry-topic and delayed messages held in memory until due, per subscription. */
  maxHeld: z.number().int().min(1).default(10_000),
});

export const optionsSchema = z
  .object({
    /** More bootstrap brokers (`host:port`), besides the URL's host. */
    brokers: z.array(z.string().regex(hostPort, 'must be host:port')).default([]),
    clientId: z.string().min(1).default('ferry'),
    /** TLS: `true`, or node tls options. */
    tls: z
      .union([
        z.boolean(),
        tlsOptionsSchema,
      ])
      .default(false),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string(),
      })
      .optional(),
    /** `create`: create missing topics on first use. `existing`: use only topics that exist, fail clearly otherwise. */
    topics: z.enum(['create', 'existing']).default('create'),
    /** Partitions of topics this transport creates (retry, delay and dead-letter topics too). */
    partitions: z.number().int().min(1).max(10_000).default(6),
    /** Replication factor of created topics; -1: the broker's default.replication.factor. */
    replicationFactor: z.number().int().min(-1).max(32).default(-1),
    /** Topic configs of created topics (`retention.ms`, `min.insync.replicas`, ...). */
    topicConfig: z.record(z.string(), z.string()).default({}),
    /** Largest message (payload + key + headers) accepted at publish. Keep below the broker's message.max.bytes. */
    maxMessageBytes: z.number().int().min(4096).max(100 * 1024 * 1024).default(1_000_000),
    producer: producerSchema.default(producerSchema.parse({})),
    consumer: consumerSchema.default(consumerSchema.parse({})),
    /** Longest delay accepted for a publish or a retry (held in delay and retry topics). */
    maxDelayMs: z.number().int().min(1).default(SEVEN_DAYS_MS),
    /** Transaction timeout of the transactional producers (consume-transform-produce). */
    transactionTimeoutMs: z.number().int().min(1000).default(60_000),
    /** Longest the first connect keeps trying (unreachable, refused, still starting) before it fails with FERRY_CONNECTION. */
    connectTimeoutMs: z.number().int().min(100).default(10_000),
    /** One TCP/TLS connection attempt (kafkajs's connectionTimeout). */
    connectionTimeoutMs: z.number().int().min(100).default(3_000),
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /** kafkajs's retry of requests (connection loss, leader changes). */
    retry: z
      .strictObject({
        retries: z.number().int().min(0).default(8),
        initialRetryTimeMs: z.number().int().min(1).default(100),
        maxRetryTimeMs: z.number().int().min(1).default(5_000),
      })
      .default({ retries: 8, initialRetryTimeMs: 100, maxRetryTimeMs: 5_000 }),
    /** Connect to these addresses instead of the advertised ones (`"advertised:port": "reach:port"`): tunnels, NAT, a fault proxy. */
    addressMap: z.record(z.string(), z.string().regex(hostPort, 'must be host:port')).default({}),
    /**
     * How id, type and content type are written (every form is read): `compact` one
     * `ferry-envelope` header (fastest; consumers before this version cannot read it), `headers`
     * the older `ferry-id`/`ferry-type`/`ferry-content-type`, `cloudevents` the CloudEvents 1.0
     * Kafka binding (binary mode: `ce_*` headers and `content-type`).
     */
    envelope: z.enum(['compact', 'headers', 'cloudevents']).default('compact'),
    /** CloudEvents `source` of what this transport publishes with `envelope: 'cloudevents'`. Default `ferry://<topic>`. */
    cloudEventsSource: z.string().min(1).optional(),
    /**
     * The Kafka client under the transport: `kafkajs` (default), or `platformatic`
     * (@platformatic/kafka, experimental: see docs/adapters/kafka.md for what it does not support).
     */
    driver: z.enum(['kafkajs', 'platformatic']).default('kafkajs'),
    /** kafkajs log level: lines at or above it go to the client's logger (stderr by default), redacted. */
    logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('error'),
  })
  .strict();

export type KafkaOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

export interface ResolvedConfig extends ResolvedOptions {
  /** Bootstrap brokers, host:port. */
  readonly bootstrap: readonly string[];
}

/** Reads the URL and the option object into one validated config. */
export function resolveConfig(url: URL, options: Readonly<Record<string, unknown>> = {}): ResolvedConfig {
  if (url.protocol !== 'kafka:') {
    throw new ConfigError('url', `scheme \`${url.protocol}\` is not kafka`, 'Use kafka://host:9092 (more brokers with ?brokers=host2:9092).');
  }
  const input: Record<string, unknown> = { ...options };
  const q = url.searchParams;
  if (q.get('tls') === 'true' && input['tls'] === undefined) input['tls'] = true;
  const clientId = q.get('clientId');
  if (clientId && input['clientId'] === undefined) input['clientId'] = clientId;
  const envelope = q.get('envelope');
  if (envelope && input['envelope'] === undefined) input['envelope'] = envelope;
  const driver = q.get('driver');
  if (driver && input['driver'] === undefined) input['driver'] = driver;
  const mechanism = q.get('sasl');
  if ((url.username || mechanism) && input['sasl'] === undefined) {
    input['sasl'] = { mechanism: mechanism ?? 'plain', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  const parsed = parseOptions(optionsSchema, input, 'kafka');
  if (parsed.driver === 'platformatic' && Object.keys(parsed.addressMap).length > 0) {
    throw new ConfigError('kafka.addressMap', 'the platformatic driver cannot rewrite broker addresses (@platformatic/kafka has no socket factory)', 'Use driver: \'kafkajs\' with addressMap, or reach the advertised broker addresses directly.');
  }
  const fromUrl = url.hostname ? [`${url.hostname}:${url.port || '9092'}`] : [];
  const extra = (q.get('brokers') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of extra) if (!hostPort.test(b)) throw new ConfigError('url.brokers', `\`${b}\` is not host:port`, 'Use ?brokers=host2:9092,host3:9092.');
  const bootstrap = [...new Set([...fromUrl, ...extra, ...parsed.brokers])];
  if (bootstrap.length === 0) throw new ConfigError('url', 'no broker given', 'Use kafka://host:9092.');
  return { ...parsed, bootstrap };
}
