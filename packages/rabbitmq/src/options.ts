import { z } from 'zod';
import { ConfigError, parseOptions, tlsOptionsSchema, topicPatternsSchema } from '@ferry/core/spi';

/**
 * Delay tiers: one delay queue per tier with a fixed per-queue TTL. A delay goes to the smallest
 * tier that holds it (with its exact per-message TTL too), so a long delay never sits in front of
 * a short one: per-message TTL only expires at the head of a queue.
 */
export const DEFAULT_DELAY_TIERS_MS = [
  50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000,
  3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

export const optionsSchema = z
  .object({
    /** Queue type of the group queues (and delay queues). Quorum: replicated, at-least-once dead-lettering. */
    queueType: z.enum(['quorum', 'classic']).default('quorum'),
    /** Topics whose group queues are classic queues with `x-max-priority` (quorum queues refuse it). */
    priorityTopics: topicPatternsSchema,
    maxPriority: z.number().int().min(1).max(255).default(10),
    /** Topics that keep a RabbitMQ stream (bound to the topic exchange) for replay. */
    streamTopics: topicPatternsSchema,
    /** Stream retention (`x-max-age`, e.g. `7D`, `12h`) and size (`x-max-length-bytes`). */
    streamMaxAge: z.string().regex(/^\d+[YMDhms]$/).default('7D'),
    streamMaxBytes: z.number().int().positive().optional(),
    /** Routing key a message is published with. */
    routingKey: z.enum(['type', 'key', 'topic']).default('type'),
    /** Binding patterns of a group queue (default `#`: everything of the topic). */
    bindings: z
      .array(
        z.strictObject({
          topic: z.string().min(1),
          group: z.string().min(1).optional(),
          patterns: z.array(z.string()).min(1),
        }),
      )
      .default([]),
    /** `declare`: assert exchanges and queues on first use. `existing`: only check they exist. */
    topology: z.enum(['declare', 'existing']).default('declare'),
    /**
     * Single active consumer on group queues: one consumer of a group receives while the others
     * stand by, which keeps per-key order across consumers (capabilities.orderingByKey) but stops
     * them from sharing the work. `ordered`: for subscriptions that ask for key order (core's
     * default), `always`, or `never` (default: consumers of a group compete; key order holds
     * within one consumer only).
     */
    singleActiveConsumer: z.enum(['ordered', 'always', 'never']).default('never'),
    delayTiersMs: z.array(z.number().int().positive()).min(1).default(DEFAULT_DELAY_TIERS_MS),
    /**
     * Broker-side safety net for messages that are released again and again (a consumer that
     * crashes on them never gets to nack): after this many deliveries a quorum group queue
     * dead-letters the message to the subscription's dead-letter topic (`x-delivery-limit`).
     */
    deliveryLimit: z.number().int().min(1).optional(),
    /** Most publishes awaiting a broker confirm at once (the pipelined confirm window). */
    confirmWindow: z.number().int().min(1).max(100_000).default(2_000),
    /** Longest a send waits for a connection (during an outage) and for its confirm. */
    publishTimeoutMs: z.number().int().positive().default(30_000),
    /** Longest the first connect() keeps trying. */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    reconnect: z
      .strictObject({
        initialDelayMs: z.number().int().positive().default(100),
        maxDelayMs: z.number().int().positive().default(5_000),
      })
      .default({ initialDelayMs: 100, maxDelayMs: 5_000 }),
    heartbeatSeconds: z.number().int().min(0).max(600).default(10),
    connectionName: z.string().default('ferry'),
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .max(128 * 1024 * 1024)
      .default(16 * 1024 * 1024),
    /**
     * How id, type, time and content type are written (both are read): `properties` the AMQP
     * properties (message-id, type, content-type, timestamp), `cloudevents` the CloudEvents 1.0
     * AMQP binding in binary mode (`cloudEvents:*` headers, the content-type property).
     */
    envelope: z.enum(['properties', 'cloudevents']).default('properties'),
    /** CloudEvents `source` of what this transport publishes with `envelope: 'cloudevents'`. Default `ferry://<topic>`. */
    cloudEventsSource: z.string().min(1).optional(),
    /** TLS for `amqps://` (node tls options). */
    tls: tlsOptionsSchema.optional(),
  })
  .strict();

export type RabbitMqOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

export interface ResolvedConfig extends ResolvedOptions {
  readonly url: URL;
}

export function resolveConfig(url: URL, options: Readonly<Record<string, unknown>>): ResolvedConfig {
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new ConfigError('url', `scheme \`${url.protocol}\` is not AMQP`, 'Use amqp://user:pass@host:5672/vhost or amqps://.');
  }
  // amqplib's URL convention `?heartbeat=<s>`; an option given in code wins.
  const heartbeat = url.searchParams.get('heartbeat');
  const envelope = url.searchParams.get('envelope');
  const input: Record<string, unknown> = { ...options };
  if (heartbeat !== null && options.heartbeatSeconds === undefined) input['heartbeatSeconds'] = Number(heartbeat);
  if (envelope !== null && options.envelope === undefined) input['envelope'] = envelope;
  const parsed = parseOptions(optionsSchema, input, 'rabbitmq');
  if (parsed.tls && url.protocol !== 'amqps:') {
    throw new ConfigError('rabbitmq.tls', 'TLS options given for a plain amqp:// URL', 'Use an amqps:// URL.');
  }
  return { ...parsed, delayTiersMs: [...new Set(parsed.delayTiersMs)].sort((a, b) => a - b), url };
}
