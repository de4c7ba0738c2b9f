import { Group } from './group.ts';
import { TopicLog, type LogRecord } from './topic-log.ts';

/** Records per topic kept by default; older ones are dropped (see docs/adapters/memory.md). */
export const DEFAULT_RETAIN_MESSAGES = 100_000;

/**
 * A named in-process broker: topics and their groups, shared by every MemoryTransport of this
 * process that names it. Several transports on one broker are how tests stand in for several
 * processes (a producer's, two consumers').
 */
export class MemoryBroker {
  private readonly topics = new Map<string, { log: TopicLog; groups: Map<string, Group> }>();

  constructor(
    readonly name: string,
    readonly retainMessages: number,
  ) {}

  append(topic: string, ...args: Parameters<TopicLog['append']>): LogRecord {
    const t = this.topic(topic);
    const record = t.log.append(...args);
    for (const group of t.groups.values()) group.appended(record);
    return record;
  }

  /** The group, created on first use at the earliest retained record. */
  group(topic: string, name: string): Group {
    const t = this.topic(topic);
    let group = t.groups.get(name);
    if (!group) t.groups.set(name, (group = new Group(name, t.log)));
    return group;
  }

  /** Whether the topic was published to or subscribed to; creates nothing. */
  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  log(topic: string): TopicLog {
    return this.topic(topic).log;
  }

  dispose(): void {
    for (const t of this.topics.values()) for (const group of t.groups.values()) group.dispose();
    this.topics.clear();
  }

  private topic(name: string): { log: TopicLog; groups: Map<string, Group> } {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = { log: new TopicLog(name, this.retainMessages), groups: new Map() }));
    return t;
  }
}

const brokers = new Map<string, MemoryBroker>();

/**
 * The process-wide broker of that name, created by the first transport naming it. Its retention
 * is fixed then; `retainMessages` undefined means "whatever it has".
 */
export function getMemoryBroker(name: string, retainMessages: number | undefined): MemoryBroker {
  let broker = brokers.get(name);
  if (!broker) brokers.set(name, (broker = new MemoryBroker(name, retainMessages ?? DEFAULT_RETAIN_MESSAGES)));
  return broker;
}

/**
 * Forgets every topic, message and group of the broker (for tests: call it before each). Transports
 * created before keep the old, emptied broker; create new ones after a reset.
 */
export function resetMemoryBroker(name = 'default'): void {
  brokers.get(name)?.dispose();
  brokers.delete(name);
}
