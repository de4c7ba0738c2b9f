import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  TagQueueCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CapabilityError, DEAD_LETTER_GROUP, FerryError, redactText } from '@ferry/core/spi';
import { queueNameFor } from './names.ts';
import { matchesTopic } from '@ferry/core/spi';
import type { ResolvedConfig } from './options.ts';

/** A queue the transport uses, resolved once per topic. */
export interface QueueInfo {
  readonly topic: string;
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

/** A queue is missing with `topology: 'existing'`, or could not be created. */
export class QueueError extends FerryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FERRY_SQS_QUEUE', message, options);
  }
}

/** The tag that records which consumer group owns a queue (SQS has one consumer group per queue). */
export const GROUP_TAG = 'ferry-group';
const DLQ_SUFFIX = '.dlq';

/**
 * Topic → queue: names, FIFO or standard, creation on first use (or checking it exists), the
 * group that owns a queue and the redrive policy. One queue per topic: SQS has no fan-out of its
 * own, so the queue belongs to the first group that consumes it.
 */
export class Queues {
  private readonly byTopic = new Map<string, Promise<QueueInfo>>();
  private readonly resolved = new Map<string, QueueInfo>();
  private readonly claimed = new Map<string, Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly config: ResolvedConfig,
  ) {}

  /**
   * FIFO is decided by the topic name alone so producers and consumers agree: the `fifoTopics`
   * option, an explicit `.fifo` queue name, and a `<topic>.dlq` follows its topic (SQS needs a FIFO
   * queue's dead-letter queue to be FIFO too).
   */
  isFifo(topic: string): boolean {
    const explicit = this.config.queueNames[topic];
    if (explicit) return explicit.endsWith('.fifo');
    if (matchesTopic(this.config.fifoTopics, topic)) return true;
    return topic.endsWith(DLQ_SUFFIX) && topic.length > DLQ_SUFFIX.length && this.isFifo(topic.slice(0, -DLQ_SUFFIX.length));
  }

  nameOf(topic: string): string {
    return queueNameFor(topic, { prefix: this.config.queuePrefix, fifo: this.isFifo(topic), explicit: this.config.queueNames[topic] });
  }

  /** The queue of a topic already resolved, without a promise hop (the publish fast path). */
  known(topic: string): QueueInfo | undefined {
    return this.resolved.get(topic);
  }

  get(topic: string): Promise<QueueInfo> {
    let pending = this.byTopic.get(topic);
    if (!pending) {
      pending = this.resolve(topic).then((info) => {
        this.resolved.set(topic, info);
        return info;
      });
      // A failure is not cached: the next use tries again (the queue may have been created since).
      pending.catch(() => this.byTopic.delete(topic));
      this.byTopic.set(topic, pending);
    }
    return pending;
  }

  private async resolve(topic: string): Promise<QueueInfo> {
    const name = this.nameOf(topic);
    const fifo = name.endsWith('.fifo');
    const existing = await this.urlOf(name);
    if (existing) return { topic, name, url: existing, fifo };
    if (this.config.topology === 'existing') {
      throw new QueueError(`SQS queue \`${name}\` (topic \`${topic}\`) does not exist and the sqs option \`topology\` is \`existing\`. Create the queue, or use topology: 'declare'.`);
    }
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(this.config.visibilityTimeoutSeconds),
      MaximumMessageSize: String(this.config.maxMessageBytes),
    };
    if (fifo) {
      attributes.FifoQueue = 'true';
      attributes.ContentBasedDeduplication = 'false';
    }
    try {
      const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags: { 'ferry-topic': tagValue(topic) } }));
      if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
      return { topic, name, url: QueueUrl, fifo };
    } catch (error) {
      // Created concurrently with other attributes (or tags): use it as it is.
      const url = await this.urlOf(name);
      if (url) return { topic, name, url, fifo };
      throw new QueueError(`Could not create SQS queue \`${name}\` for topic \`${topic}\`: ${message(error)}`, { cause: error });
    }
  }

  /** Whether the topic's queue exists; creates nothing. */
  async exists(topic: string): Promise<boolean> {
    return this.resolved.has(topic) || (await this.urlOf(this.nameOf(topic))) !== undefined;
  }

  private async urlOf(name: string): Promise<string | undefined> {
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (error) {
      if (error instanceof QueueDoesNotExist || (error as { name?: string }).name === 'AWS.SimpleQueueService.NonExistentQueue') return undefined;
      const hint = (error as { name?: string }).name === 'CredentialsProviderError'
        ? ' Give credentials through the AWS SDK chain (AWS_ACCESS_KEY_ID / AWS_PROFILE / a role), the `credentials` option, or sqs://key:secret@region?endpoint=... for a local server such as ElasticMQ.'
        : '';
      throw new QueueError(`Could not look up SQS queue \`${name}\`: ${message(error)}.${hint}`, { cause: error });
    }
  }

  /**
   * Makes `group` the owner of the topic's queue, or refuses: a second group on one queue would
   * compete with the first for messages instead of getting its own copy of each.
   */
  claim(queue: QueueInfo, group: string): Promise<void> {
    const key = `${queue.url}\u0000${group}`;
    let pending = this.claimed.get(key);
    if (!pending) {
      pending = this.doClaim(queue, group);
      pending.catch(() => this.claimed.delete(key));
      this.claimed.set(key, pending);
    }
    return pending;
  }

  private async doClaim(queue: QueueInfo, group: string): Promise<void> {
    const owner = await this.ownerOf(queue);
    if (owner === undefined) {
      await this.sqs.send(new TagQueueCommand({ QueueUrl: queue.url, Tags: { [GROUP_TAG]: tagValue(group) } }));
      // Two groups claiming at once: the tag that stayed decides.
      const now = await this.ownerOf(queue);
      if (now === tagValue(group)) return;
      throw refuseSecondGroup(queue, group, now ?? '(none)');
    }
    if (owner !== tagValue(group)) throw refuseSecondGroup(queue, group, owner);
  }

  private async ownerOf(queue: QueueInfo): Promise<string | undefined> {
    const { Tags } = await this.sqs.send(new ListQueueTagsCommand({ QueueUrl: queue.url }));
    return Tags?.[GROUP_TAG];
  }

  /** The broker-side safety net: after maxReceiveCount receives SQS moves a message to the dead-letter queue. */
  async setRedrive(queue: QueueInfo, deadLetter: QueueInfo): Promise<void> {
    if (queue.fifo !== deadLetter.fifo) return; // SQS refuses it; core still dead-letters by itself
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetter.url, AttributeNames: ['QueueArn'] }));
    const arn = Attributes?.QueueArn;
    if (!arn) throw new QueueError(`SQS returned no QueueArn for \`${deadLetter.name}\``);
    const policy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: this.config.maxReceiveCount });
    await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { RedrivePolicy: policy } }));
  }
}

/** Tag values allow 256 characters of letters, digits, spaces and _.:/=+-@. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, '_').slice(0, 256);
}

function refuseSecondGroup(queue: QueueInfo, group: string, owner: string): CapabilityError {
  const note = owner === tagValue(DEAD_LETTER_GROUP) ? ' (it is a dead-letter topic, read by redrive)' : '';
  return new CapabilityError(
    'sqs',
    'fan-out (several consumer groups on one topic)',
    `topic \`${queue.topic}\` (queue \`${queue.name}\`) is consumed by group \`${owner}\`${note}, and group \`${group}\` would compete with it for messages instead of receiving its own copy`,
    'On AWS, fan out with an SNS topic subscribed by one SQS queue per group, and give each group its own Ferry topic; or use one group per topic, or a transport with fan-out (kafka, rabbitmq).',
  );
}

function message(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}
