import type { ConsumerLag, OutgoingMessage } from '@ferry/core';
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_FERRY_OUTCOME,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_SYSTEM,
  DURATION_BUCKETS,
  METRIC_FERRY_CONSUMER_IN_FLIGHT,
  METRIC_FERRY_CONSUMER_LAG,
  METRIC_FERRY_PUBLISH_BATCH_SIZE,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
} from './semconv.ts';

/** What the consume loop decided for one attempt, as `ferry.outcome` says it. */
export type ProcessOutcome = 'ok' | 'retried' | 'dead-lettered' | 'duplicate' | 'ignored';

/** The attribute sets of one topic and group: `base` (in-flight), and one per outcome of an attempt that ended well. */
export interface ProcessSets {
  readonly base: Attributes;
  readonly byOutcome: Map<ProcessOutcome, Attributes>;
}

/** Distinct attribute sets kept per cache before it starts over (topics and groups are few; this only bounds a misuse). */
const CACHE_LIMIT = 1000;

/**
 * Ferry's instruments, and the attribute sets they record with: made once per topic (and group)
 * and reused, so a message that ends well allocates none. A failure's set carries `error.type`
 * and is made when it happens.
 */
export class FerryMetrics {
  private readonly sentMessages: Counter;
  private readonly sendDuration: Histogram;
  private readonly batchSize: Histogram;
  private readonly consumedMessages: Counter;
  private readonly processDuration: Histogram;
  private readonly inFlightMessages: UpDownCounter;
  private readonly sendSets = new Map<string, Attributes>();
  private readonly processSets = new Map<string, Map<string, ProcessSets>>();

  constructor(
    private readonly meter: Meter,
    private readonly system: string,
  ) {
    this.sentMessages = meter.createCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, { unit: '{message}', description: 'Messages Ferry handed to the broker, by destination and error.type (absent: accepted).' });
    this.sendDuration = meter.createHistogram(METRIC_MESSAGING_CLIENT_OPERATION_DURATION, { unit: 's', description: 'Duration of one send through the publish stack, until the broker accepted it.', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.batchSize = meter.createHistogram(METRIC_FERRY_PUBLISH_BATCH_SIZE, { unit: '{message}', description: 'Messages per send call through the publish stack (1 for publish, n for publishBatch).', advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } });
    this.consumedMessages = meter.createCounter(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, { unit: '{message}', description: 'Deliveries handed to the handler chain, by ferry.outcome (ok, retried, dead-lettered, duplicate, ignored).' });
    this.processDuration = meter.createHistogram(METRIC_MESSAGING_PROCESS_DURATION, { unit: 's', description: 'Duration of one attempt through the consume stack (decode, schema, idempotency, handler).', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.inFlightMessages = meter.createUpDownCounter(METRIC_FERRY_CONSUMER_IN_FLIGHT, { unit: '{message}', description: 'Attempts running in the consume stack now.' });
  }

  /**
   * `ferry.consumer.lag`: read from the broker when the SDK collects (its export interval), not on
   * the message path. Each consumer's subscriptions report what their broker tells.
   */
  observeLag(read: () => Promise<readonly ConsumerLag[]>): void {
    const gauge = this.meter.createObservableGauge(METRIC_FERRY_CONSUMER_LAG, { unit: '{message}', description: 'Messages waiting for the group, where the broker tells it (Kafka: this member\'s partitions).' });
    gauge.addCallback(async (result) => {
      for (const lag of await read()) {
        result.observe(lag.messages, { [ATTR_MESSAGING_SYSTEM]: this.system, [ATTR_MESSAGING_DESTINATION_NAME]: lag.topic, [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: lag.group });
      }
    });
  }

  /** One send call of `messages` that took `seconds`; `failure` is its error.type. */
  sent(messages: readonly OutgoingMessage[], seconds: number, failure: string | undefined): void {
    const whole = this.sendSet(messages.length === 1 ? messages[0]!.topic : sameTopic(messages));
    this.batchSize.record(messages.length, whole);
    // One add per run of messages to one topic (a batch is usually all one topic).
    let run = 0;
    for (let i = 0; i < messages.length; i++) {
      run++;
      const topic = messages[i]!.topic;
      if (i + 1 === messages.length || messages[i + 1]!.topic !== topic) {
        this.sentMessages.add(run, this.withError(this.sendSet(topic), failure));
        run = 0;
      }
    }
    this.sendDuration.record(seconds, this.withError(whole, failure));
  }

  /** An attempt started: the sets its end records with. */
  started(topic: string, group: string): ProcessSets {
    const sets = this.processSet(topic, group);
    this.inFlightMessages.add(1, sets.base);
    return sets;
  }

  finished(sets: ProcessSets, outcome: ProcessOutcome, seconds: number, failure: string | undefined): void {
    this.inFlightMessages.add(-1, sets.base);
    const attributes = failure === undefined ? outcomeSet(sets, outcome) : { ...sets.base, [ATTR_FERRY_OUTCOME]: outcome, [ATTR_ERROR_TYPE]: failure };
    this.consumedMessages.add(1, attributes);
    this.processDuration.record(seconds, attributes);
  }

  private withError(set: Attributes, failure: string | undefined): Attributes {
    return failure === undefined ? set : { ...set, [ATTR_ERROR_TYPE]: failure };
  }

  private sendSet(topic: string | undefined): Attributes {
    const key = topic ?? '';
    let set = this.sendSets.get(key);
    if (!set) {
      if (this.sendSets.size >= CACHE_LIMIT) this.sendSets.clear();
      set = { [ATTR_MESSAGING_SYSTEM]: this.system, [ATTR_MESSAGING_OPERATION_NAME]: 'send' };
      if (topic !== undefined) set[ATTR_MESSAGING_DESTINATION_NAME] = topic;
      this.sendSets.set(key, set);
    }
    return set;
  }

  private processSet(topic: string, group: string): ProcessSets {
    let byGroup = this.processSets.get(topic);
    if (!byGroup) {
      if (this.processSets.size >= CACHE_LIMIT) this.processSets.clear();
      byGroup = new Map();
      this.processSets.set(topic, byGroup);
    }
    let set = byGroup.get(group);
    if (!set) {
      if (byGroup.size >= CACHE_LIMIT) byGroup.clear();
      set = {
        base: { [ATTR_MESSAGING_SYSTEM]: this.system, [ATTR_MESSAGING_OPERATION_NAME]: 'process', [ATTR_MESSAGING_DESTINATION_NAME]: topic, [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: group },
        byOutcome: new Map(),
      };
      byGroup.set(group, set);
    }
    return set;
  }
}

function outcomeSet(sets: ProcessSets, outcome: ProcessOutcome): Attributes {
  let attributes = sets.byOutcome.get(outcome);
  if (!attributes) {
    attributes = { ...sets.base, [ATTR_FERRY_OUTCOME]: outcome };
    sets.byOutcome.set(outcome, attributes);
  }
  return attributes;
}

/** The topic all `messages` go to, or undefined when they go to several. */
export function sameTopic(messages: readonly OutgoingMessage[]): string | undefined {
  const topic = messages[0]?.topic;
  return messages.every((m) => m.topic === topic) ? topic : undefined;
}
