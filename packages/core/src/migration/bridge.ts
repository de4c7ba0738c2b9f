import { z } from 'zod';
import { Client } from '../client/client.ts';
import { parseOptions } from '../config/parse.ts';
import { guardTransport, openSubscription } from '../client/guarded-transport.ts';
import { deadLetterMessage } from '../consumer/dead-letter-message.ts';
import type { GatedDelivery } from '../consumer/delivery-gate.ts';
import { NonRetryableError } from '../errors.ts';
import { HEADERS, type OutgoingMessage } from '../spi/envelope.ts';
import type { StartPosition, Subscription, Transport } from '../spi/transport.ts';
import { CopyPipeline } from './copy-pipeline.ts';
import { ProgressMeter, type BridgeProgress } from './progress.ts';

export type { BridgeProgress } from './progress.ts';

export interface BridgeOptions {
  /** Where messages are read: a client (its transport) or a transport. */
  readonly from: Client | Transport;
  /** Where they are published, through its producer (its publish middleware and checks apply). */
  readonly to: Client;
  /** Topics to copy. */
  readonly topics: readonly string[];
  /** The bridge's consumer group at the source. Default `ferry-bridge`. On SQS (one group per queue) the group that owns the queue. */
  readonly group?: string;
  /** Destination topic of each source topic; default the same name. */
  readonly topicMap?: Readonly<Record<string, string>> | ((topic: string) => string);
  /** Where a new group starts. Default `stored` (a new group: the earliest message the source still has). */
  readonly start?: StartPosition;
  /** Messages held from the source at once, per topic: bounds the bridge's memory. Default 5,000. */
  readonly maxInFlight?: number;
  /** Most messages in one publish to the destination. Default 1,000. */
  readonly batchSize?: number;
  /** Publishes under way at once. Default 4. */
  readonly maxBatchesInFlight?: number;
  /** Keep each key's messages in order (one key is never in two publishes under way). Default true. */
  readonly orderedByKey?: boolean;
  /** Longest a message may wait for the destination (SQS keeps extending its visibility until then). Default 10 minutes. */
  readonly holdTimeoutMs?: number;
  /** Stop once nothing arrived for this long and everything received was copied (draining a source). Default: run until `stop()`. */
  readonly idleMs?: number;
  /** Called every `progressIntervalMs` (default 1 s) and once at the end. */
  readonly onProgress?: (progress: BridgeProgress) => void;
  readonly progressIntervalMs?: number;
  /** A failure the bridge tries again (the destination unreachable, a refused ack). Default: none. */
  readonly onError?: (error: unknown) => void;
}

/** A running bridge. */
export interface Bridge {
  /** Counts so far, and the source's lag where its broker tells. */
  progress(): Promise<BridgeProgress>;
  /** Stops receiving, lets the publishes under way finish and be acknowledged, releases the rest to the source. */
  stop(): Promise<BridgeProgress>;
  /** Resolves when the bridge has stopped (`stop()`, or `idleMs` passed). */
  readonly done: Promise<BridgeProgress>;
}

/** The group a bridge reads with unless told otherwise. */
export const BRIDGE_GROUP = 'ferry-bridge';

/**
 * Copies a live stream from one broker to another: consumes the topics at the source at least
 * once (its own group) and republishes each message to the destination keeping its id, type, key,
 * headers, payload and timestamp; a message is acknowledged at the source only after the
 * destination confirmed it, so a crash at any point at worst copies it again — consumers at the
 * destination drop such copies by id with a shared idempotency store. Memory is bounded by
 * `maxInFlight` per topic. A message the destination refuses for good (too large, a feature it
 * lacks) is dead-lettered at the source (`<topic>.dlq`, kind `bridge`) and counted as refused.
 */
export async function bridge(options: BridgeOptions): Promise<Bridge> {
  parseOptions(bridgeSettingsSchema, { topics: options.topics, group: options.group, maxInFlight: options.maxInFlight, batchSize: options.batchSize, maxBatchesInFlight: options.maxBatchesInFlight, holdTimeoutMs: options.holdTimeoutMs, idleMs: options.idleMs, progressIntervalMs: options.progressIntervalMs }, 'bridge');
  const source = options.from instanceof Client ? options.from.transport : guardTransport(options.from);
  const group = options.group ?? BRIDGE_GROUP;
  const mapTopic = topicMapper(options.topicMap);
  const ordered = options.orderedByKey ?? true;
  const producer = options.to.producer();
  const meter = new ProgressMeter();
  const onError = options.onError ?? (() => undefined);
  const report = (p: BridgeProgress) => {
    try {
      options.onProgress?.(p);
    } catch (error) {
      onError(error);
    }
  };
  const pipeline = new CopyPipeline({
    batchSize: options.batchSize ?? 1_000,
    maxBatchesInFlight: options.maxBatchesInFlight ?? 4,
    orderedByKey: ordered,
    publish: (messages) => producer.publishEnvelopes(messages),
    toOutgoing: (d) => copyOf(d, mapTopic(d.envelope.topic)),
    refuse: async (d, error) => {
      const reason = new NonRetryableError(`the destination (${options.to.transport.name}) refuses it: ${error.message}`, { kind: 'bridge', cause: error });
      await source.send([deadLetterMessage(d, reason, { deadLetterTopic: `${d.envelope.topic}.dlq`, group, includeStack: false })]);
      await d.ack();
      meter.refused++;
    },
    onError: (error) => {
      meter.retries++;
      onError(error);
    },
    onCopied: (n) => meter.copied(n),
  });
  await source.connect?.();
  const subscriptions: Subscription[] = [];
  let lastArrival = Date.now();
  try {
    for (const topic of options.topics) {
      const subscription = await openSubscription(
        source,
        {
          topic,
          group,
          maxInFlight: options.maxInFlight ?? 5_000,
          start: options.start ?? { from: 'stored' },
          deadLetterTopic: `${topic}.dlq`,
          handlerTimeoutMs: options.holdTimeoutMs ?? 600_000,
          orderedByKey: ordered && source.capabilities.orderingByKey,
          delivery: 'at-least-once',
        },
        (delivery) => {
          lastArrival = Date.now();
          pipeline.add(delivery);
        },
        onError,
      );
      subscriptions.push(subscription);
    }
  } catch (error) {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    await producer.close();
    throw error;
  }

  const progress = async (): Promise<BridgeProgress> => meter.snapshot(pipeline.holding, await lagOf(subscriptions));
  let stopping: Promise<BridgeProgress> | undefined;
  let finish!: (p: BridgeProgress) => void;
  const done = new Promise<BridgeProgress>((resolve) => (finish = resolve));
  const every = options.progressIntervalMs ?? 1_000;
  let reported = Date.now();
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (options.idleMs !== undefined && now - lastArrival >= options.idleMs && pipeline.holding === 0) {
        void stop();
      } else if (options.onProgress && now - reported >= every) {
        reported = now;
        void progress().then(report, onError);
      }
    },
    Math.min(every, options.idleMs ?? every),
  );
  const stop = (): Promise<BridgeProgress> =>
    (stopping ??= (async () => {
      clearInterval(timer);
      // No more deliveries; what is being published finishes (and is acked); the rest goes back.
      await Promise.allSettled(subscriptions.map((s) => s.stop?.()));
      await pipeline.stop();
      const final = await progress().catch(() => meter.snapshot(pipeline.holding, undefined));
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await producer.close();
      report(final);
      finish(final);
      return final;
    })());
  return { progress, stop, done };
}

const count = z.number().int().min(1);
const bridgeSettingsSchema = z
  .object({
    topics: z.array(z.string().min(1, 'a topic name cannot be empty')).min(1, 'name at least one topic to copy'),
    group: z.string().min(1).optional(),
    maxInFlight: count.optional(),
    batchSize: count.optional(),
    maxBatchesInFlight: count.optional(),
    holdTimeoutMs: count.optional(),
    idleMs: count.optional(),
    progressIntervalMs: count.optional(),
  })
  .strict();

/** The message as it was published at the source: id, type, key, headers, payload and timestamp kept. */
function copyOf(delivery: GatedDelivery, topic: string): OutgoingMessage {
  const { envelope } = delivery;
  let headers = envelope.headers;
  if (headers[HEADERS.attempt] !== undefined) {
    // An adapter's own retry bookkeeping, should one leak: the copy is a first attempt at the destination.
    const { [HEADERS.attempt]: _attempt, ...rest } = headers;
    headers = rest;
  }
  return { id: envelope.id, type: envelope.type, topic, key: envelope.key, headers, payload: envelope.payload, timestamp: envelope.timestamp };
}

function topicMapper(map: BridgeOptions['topicMap']): (topic: string) => string {
  if (map === undefined) return (topic) => topic;
  if (typeof map === 'function') return map;
  return (topic) => map[topic] ?? topic;
}

/** The summed lag of the subscriptions, if every one can tell it. */
async function lagOf(subscriptions: readonly Subscription[]): Promise<number | undefined> {
  if (subscriptions.length === 0 || subscriptions.some((s) => !s.lag)) return undefined;
  const lags = await Promise.all(subscriptions.map((s) => s.lag!()));
  return lags.reduce((sum, l) => sum + l.messages, 0);
}
