import { CapabilityError, ConfigError, parseOptions, type Capabilities, type DeliverySink, type Envelope, type OutgoingMessage, type StartPosition, type Subscription, type SubscriptionSpec, type Transport } from '@ferry/core/spi';
import { getMemoryBroker, type MemoryBroker } from './broker.ts';
import type { Group } from './group.ts';
import { Member } from './member.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, memoryOptionsSchema, type MemoryTransportOptions } from './options.ts';

const MAX_DELAY_MS = 2_147_483_647; // setTimeout's limit
const MAX_PRIORITY = 255;

/**
 * The in-process transport: a real broker (retained log per topic, consumer groups, per-key order,
 * redelivery, delay, priority, replay) living in this process. The embedded default and what
 * unit tests run on. Transports naming the same broker share it.
 */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly capabilities: Capabilities;
  private readonly broker: MemoryBroker;

  constructor(options: MemoryTransportOptions = {}) {
    const parsed = parseOptions(memoryOptionsSchema, options, 'transport');
    const brokerName = parsed.broker ?? 'default';
    this.broker = getMemoryBroker(brokerName, parsed.retainMessages);
    if (parsed.retainMessages !== undefined && parsed.retainMessages !== this.broker.retainMessages) {
      throw new ConfigError(
        'transport.retainMessages',
        `broker "${brokerName}" already exists with retainMessages ${this.broker.retainMessages}`,
        'Give every transport of one broker the same value, use another broker name, or call resetMemoryBroker(name) first.',
      );
    }
    this.capabilities = {
      orderingByKey: true,
      fanOut: true,
      replay: ['earliest', 'offset', 'timestamp'],
      delay: { maxMs: MAX_DELAY_MS },
      priority: { max: MAX_PRIORITY },
      nativeDeadLetter: false,
      transactions: false,
      maxMessageBytes: parsed.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    };
  }

  /** Core has checked the whole batch (size, priority, delay) before this: a refusal appends none of it. */
  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const now = Date.now();
    for (const m of messages) {
      const envelope: Envelope = {
        id: m.id,
        type: m.type,
        topic: m.topic,
        ...(m.key !== undefined ? { key: m.key } : {}),
        headers: { ...m.headers },
        // Copied (a Buffer's slice() would share memory): callers may reuse their buffers.
        payload: new Uint8Array(m.payload),
        timestamp: m.timestamp,
      };
      this.broker.append(m.topic, envelope, m.priority ?? 0, m.delayMs ? now + m.delayMs : 0);
    }
  }

  async subscribe(spec: SubscriptionSpec, sink: DeliverySink): Promise<Subscription> {
    const group = this.broker.group(spec.topic, spec.group);
    // The dead-letter topic exists once its consumer started, as the brokers declare theirs.
    if (spec.deadLetterTopic) this.broker.log(spec.deadLetterTopic);
    this.seek(group, spec.topic, spec.start);
    const member = new Member(group, spec, sink);
    group.join(member);
    return member;
  }

  /** A log: a new group of an existing topic starts at its earliest record, so the topic is what counts. */
  async hasGroup(topic: string): Promise<boolean> {
    return this.broker.hasTopic(topic);
  }

  async close(): Promise<void> {
    // Nothing of its own to close: core closed the subscriptions.
  }

  private seek(group: Group, topic: string, start: StartPosition): void {
    switch (start.from) {
      case 'stored':
        return; // a new group already starts at the earliest retained record
      case 'earliest':
        return group.seek(0);
      case 'offset':
        if (start.partition !== undefined && start.partition !== 0) {
          throw new CapabilityError('memory', 'partitions', `replay asks for partition ${start.partition}`, 'A memory topic has one partition, 0: omit `partition` or use 0.');
        }
        return group.seek(start.offset);
      case 'timestamp':
        return group.seek(this.broker.log(topic).offsetForTimestamp(start.timestamp));
    }
  }
}
