import { z } from 'zod';
import { ConfigError, parseOptions, topicPatternsSchema } from '@ferry/core/spi';

/** SQS's hard limits (AWS, 2026): what no option may exceed. */
export const SQS_LIMITS = {
  /** Per message and per SendMessageBatch request (AWS raised it from 256 KiB in 2026). */
  messageBytes: 1_048_576,
  batchEntries: 10,
  delaySeconds: 900,
  visibilitySeconds: 43_200,
  waitTimeSeconds: 20,
  messageAttributes: 10,
} as const;

export const optionsSchema = z
  .object({
    /** AWS region. Default: the URL's host (`sqs://eu-west-1`), else the SDK's own chain (AWS_REGION, profile). */
    region: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a region name such as `us-east-1` (lower-case letters, digits and `-`)').optional(),
    /** Endpoint of an SQS-compatible server (ElasticMQ, LocalStack). Default: the URL's `?endpoint=`, else AWS. */
    endpoint: z.url().optional(),
    /** Static credentials. Default: the URL's user:password, else the SDK's default credential chain. */
    credentials: z
      .strictObject({
        accessKeyId: z.string().min(1),
        secretAccessKey: z.string().min(1),
        sessionToken: z.string().min(1).optional(),
      })
      .optional(),
    /** Prepended to every queue name (e.g. `prod-`), so environments can share an account. */
    queuePrefix: z.string().regex(/^[A-Za-z0-9_-]{0,40}$/, 'must be up to 40 letters, digits, `-` or `_`').default(''),
    /** Explicit queue names per topic (existing queues with names of their own); FIFO names end in `.fifo`. */
    queueNames: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_-]{1,75}(\.fifo)?$/, 'must be a valid SQS queue name')).default({}),
    /** `declare`: create queues on first use. `existing`: use existing queues only, fail clearly when one is missing. */
    topology: z.enum(['declare', 'existing']).default('declare'),
    /**
     * Topics whose queue is a FIFO queue (MessageGroupId = the message key, MessageDeduplicationId =
     * the message id): per-key order and broker-side dedup. Producers and consumers must agree, so
     * it is decided by topic name here, not by the consumer. `['*']`: every topic.
     */
    fifoTopics: topicPatternsSchema,
    /** The visibility timeout of received messages, extended while a handler runs. */
    visibilityTimeoutSeconds: z.number().int().min(1).max(SQS_LIMITS.visibilitySeconds).default(30),
    /** Long poll wait, when the queue is empty. Closing aborts the polls in flight (see docs). */
    waitTimeSeconds: z.number().int().min(0).max(SQS_LIMITS.waitTimeSeconds).default(20),
    /** Most concurrent ReceiveMessage loops per subscription (each asks for up to 10 messages). */
    maxPollers: z.number().int().min(1).max(100).default(10),
    /** RedrivePolicy maxReceiveCount: the broker moves a message received this often to the dead-letter queue. */
    maxReceiveCount: z.number().int().min(1).max(1000).default(10),
    /** The queue's MaximumMessageSize (body plus attributes, bytes). */
    maxMessageBytes: z.number().int().min(4096).max(SQS_LIMITS.messageBytes).default(SQS_LIMITS.messageBytes),
    /** How long the first publish of a batch waits for others to share its SendMessageBatch. */
    lingerMs: z.number().int().min(0).max(1000).default(1),
    /** SendMessageBatch (and DeleteMessageBatch) requests in flight at once, per queue. */
    maxConcurrentBatches: z.number().int().min(1).max(256).default(16),
    /** Sockets of the HTTP agent: long polls hold one each, so leave room for publishers and acks. */
    maxSockets: z.number().int().min(4).max(4096).default(256),
    /** Longest any request other than a long poll may take (long polls get waitTimeSeconds on top). */
    requestTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** Longest the first connect (a ListQueues that checks endpoint and credentials) may take before it fails with FERRY_CONNECTION. */
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** One TCP/TLS connection attempt of the HTTP client. */
    connectionTimeoutMs: z.number().int().min(100).max(60_000).default(3_000),
    /** Attempts of the SDK's own retry (throttling, 5xx, network) per request. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /**
     * The AWS SDK's MD5 checks of message bodies (SQS's MD5 of each body sent, and of each body
     * received, against the SDK's own). Off by default: TLS already detects any change in transit on
     * HTTPS (every AWS endpoint), the checks cover bodies only (not attributes, where Ferry's
     * envelope is), and they cost a hash per message on both sides of the client. On for
     * plain-HTTP endpoints if wanted.
     */
    md5Checks: z.boolean().default(false),
    /**
     * Where the envelope (id, type, topic, key, timestamp, headers) travels; both are read.
     * `attribute`: one `ferry` message attribute, the body is the bare payload (what other SQS
     * tools see). `body`: a `ferry/1` line before the payload in the body, no attribute: cheaper to
     * receive (the AWS SDK reads no attributes), but consumers before this version and tools that
     * are not Ferry see the line. Binary payloads keep the attribute form either way.
     */
    envelope: z.enum(['attribute', 'body']).default('attribute'),
  })
  .strict();

export type SqsOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

export interface ResolvedConfig extends ResolvedOptions {
  /** Bytes of the envelope (payload, key, headers) a message may have, leaving room for Ferry's attributes. */
  readonly maxEnvelopeBytes: number;
}

/** Room reserved in each SQS message for the packed envelope metadata (id, type, topic, timestamp). */
export const METADATA_RESERVE_BYTES = 2048;

export function resolveConfig(url: URL, options: Readonly<Record<string, unknown>>): ResolvedConfig {
  if (url.protocol !== 'sqs:') {
    throw new ConfigError('url', `scheme \`${url.protocol}\` is not SQS`, 'Use sqs://<region> or sqs://<region>?endpoint=http://host:port.');
  }
  const fromUrl: Record<string, unknown> = {};
  if (url.hostname) fromUrl.region = decodeURIComponent(url.hostname);
  const endpoint = url.searchParams.get('endpoint');
  if (endpoint) fromUrl.endpoint = endpoint;
  if (url.username && url.password) {
    fromUrl.credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) };
  }
  const envelope = url.searchParams.get('envelope');
  if (envelope) fromUrl.envelope = envelope;
  for (const name of url.searchParams.keys()) {
    if (name !== 'endpoint' && name !== 'envelope') {
      throw new ConfigError(`url.${name}`, 'unknown URL parameter', 'The SQS URL takes only `?endpoint=` and `?envelope=`; pass other settings as options.');
    }
  }
  // Options given in code win over the URL.
  const parsed = parseOptions(optionsSchema, { ...fromUrl, ...options }, 'sqs');
  return { ...parsed, maxEnvelopeBytes: parsed.maxMessageBytes - METADATA_RESERVE_BYTES };
}
