import type { ConsumerOptions } from '../config/consumer-options.ts';
import type { Capabilities } from '../spi/capabilities.ts';

/** A transport as the check sees it: its name and what it can do. */
export interface TransportProfile {
  readonly name: string;
  readonly capabilities: Capabilities;
}

/** What an application uses, as far as a broker's capabilities can refuse or change it. */
export interface MigrationUsage {
  /** The consumers' options (group, delivery, orderedByKey, start, retry). */
  readonly consumers?: readonly Pick<ConsumerOptions, 'group' | 'delivery' | 'orderedByKey' | 'start' | 'retry'>[];
  /** How many groups read one topic at most (more than 1 needs fan-out). */
  readonly groupsPerTopic?: number;
  /** Publish options in use. */
  readonly publishes?: {
    /** Longest delay asked at publish, ms. */
    readonly maxDelayMs?: number;
    /** Whether any publish sets a priority, and the highest. */
    readonly maxPriority?: number;
    /** Largest message (payload + headers), bytes. */
    readonly maxMessageBytes?: number;
    /** Whether publishes set ordering keys that consumers rely on. */
    readonly keyed?: boolean;
  };
}

export interface MigrationFinding {
  /** `refused`: the target would refuse it (an error at configuration or publish). `differs`: accepted, behaves otherwise. */
  readonly severity: 'refused' | 'differs';
  readonly feature: string;
  readonly detail: string;
  /** What to change before moving. */
  readonly fix: string;
}

/**
 * What moving from one transport to another would refuse or change, for the given usage (or, with
 * no usage, for every capability the source has and the target lacks). An empty list: nothing the
 * capabilities can tell stands in the way (run the conformance suite and your own tests still).
 */
export function migrateCheck(from: TransportProfile, to: TransportProfile, usage?: MigrationUsage): MigrationFinding[] {
  const findings: MigrationFinding[] = [];
  const a = from.capabilities;
  const b = to.capabilities;
  const all = usage === undefined;
  const consumers = usage?.consumers ?? [];
  const publishes = usage?.publishes ?? {};
  const add = (severity: MigrationFinding['severity'], feature: string, detail: string, fix: string) => findings.push({ severity, feature, detail, fix });

  const keyedUse = all ? a.orderingByKey : consumers.some((c) => c.orderedByKey === true) || (publishes.keyed === true && consumers.some((c) => c.orderedByKey !== false));
  if (keyedUse && !b.orderingByKey) {
    const explicit = consumers.some((c) => c.orderedByKey === true);
    add(explicit ? 'refused' : 'differs', 'per-key order', `${to.name} does not keep messages of one key in order across a group's consumers`, explicit ? 'Drop orderedByKey, or configure the target for ordering (RabbitMQ: singleActiveConsumer; SQS: fifoTopics).' : 'Configure the target for ordering (RabbitMQ: singleActiveConsumer; SQS: fifoTopics), or make handlers order-independent.');
  }

  const fanOut = all ? a.fanOut : (usage?.groupsPerTopic ?? 1) > 1;
  if (fanOut && !b.fanOut) add('refused', 'fan-out', `${to.name} gives one group per topic; a second group of a topic is refused`, 'Give each group its own topic, or fan out before the target (SNS → SQS on AWS).');

  const starts = all ? a.replay : consumers.map((c) => c.start?.from).filter((s): s is 'earliest' | 'offset' | 'timestamp' => s !== undefined && s !== 'stored');
  const missingReplay = [...new Set(starts)].filter((s) => !b.replay.includes(s));
  if (missingReplay.length > 0) add('refused', 'replay', `${to.name} cannot start a subscription from ${missingReplay.join(', ')}`, b.replay.length === 0 ? 'Keep the history elsewhere (a Kafka topic, an archive) if you replay; start from the stored position on the target.' : `Use ${b.replay.join(', ')}.`);

  const delayAsked = all ? (a.delay === false ? 0 : a.delay.maxMs) : Math.max(publishes.maxDelayMs ?? 0, ...consumers.map((c) => (c.retry ? Math.min(c.retry.maxDelayMs ?? 30_000, (c.retry.initialDelayMs ?? 200) * (c.retry.multiplier ?? 2) ** Math.max(0, (c.retry.attempts ?? 5) - 2)) : 0)));
  if (delayAsked > 0) {
    if (b.delay === false) add('refused', 'delay', `${to.name} cannot delay delivery (asked: up to ${delayAsked} ms, at publish or as retry backoff)`, 'Retry immediately (retry.initialDelayMs 0) and schedule delayed work in the application.');
    else if (delayAsked > b.delay.maxMs) add('refused', 'delay', `${to.name} delays at most ${b.delay.maxMs} ms (asked: ${delayAsked} ms)`, `Keep delays and retry backoff at or under ${b.delay.maxMs} ms.`);
  }

  const priorityAsked = all ? (a.priority === false ? undefined : a.priority.max) : publishes.maxPriority;
  if (priorityAsked !== undefined) {
    if (b.priority === false) add('refused', 'priority', `${to.name} has no message priority`, 'Publish urgent messages to a topic of their own with its own consumers.');
    else if (priorityAsked > b.priority.max) add('refused', 'priority', `${to.name} accepts priorities 0..${b.priority.max} (asked: ${priorityAsked})`, `Map priorities into 0..${b.priority.max}.`);
  }

  const size = all ? a.maxMessageBytes : publishes.maxMessageBytes;
  if (size !== undefined && size > b.maxMessageBytes) add(all ? 'differs' : 'refused', 'message size', `${to.name} takes messages up to ${b.maxMessageBytes} bytes (${all ? `${from.name} takes ${a.maxMessageBytes}` : `largest in use: ${size}`})`, 'Store large payloads elsewhere (object storage) and send a reference.');

  const exactlyOnce = all ? a.transactions : consumers.some((c) => c.delivery === 'exactly-once');
  if (exactlyOnce && a.transactions && !b.transactions) add('differs', 'exactly-once', `on ${from.name} a handler's ctx.publish and its ack commit in one broker transaction; ${to.name} has none, so exactly-once there rests on the idempotency store (effectively once)`, 'Give the consumers a shared idempotency store (@ferry/redis or @ferry/postgres; the PostgreSQL inbox for database effects) before moving.');

  if (a.nativeDeadLetter && !b.nativeDeadLetter && (all || consumers.length > 0)) add('differs', 'broker-side dead letter', `${from.name} also dead-letters on its own (a redrive policy or delivery limit); ${to.name} relies on Ferry's dead letters only`, 'Nothing to change for Ferry consumers; check tools that read the broker-side dead-letter queue.');

  return findings;
}
