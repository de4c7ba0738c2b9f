import { z } from 'zod';
import { CapabilityError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';

/**
 * The client option `topics`: the consumer groups each topic keeps messages for, from the first
 * publish on, before any of their consumers has started.
 */
export const topicsSchema = z.record(
  z.string().min(1, 'a topic name cannot be empty'),
  z
    .object({
      /** Groups that must receive every message published to the topic, also before their consumers first start. */
      groups: z.array(z.string().min(1, 'a group name cannot be empty')).min(1, 'name at least one group'),
    })
    .strict(),
);

export type TopicGroups = Readonly<Record<string, { readonly groups: readonly string[] }>>;

/**
 * Makes the declared groups of a topic exist on the transport once, before the first message to
 * that topic is sent (`Transport.declareGroups`; transports that keep a topic's messages for later
 * groups have nothing to do). A declaration that fails is tried again at the next send.
 */
export class GroupDeclarations {
  /** Topic → groups not declared yet. Empty once everything is: sends then pay one size check. */
  private readonly waiting = new Map<string, Set<string>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly transport: Transport) {}

  /** Adds declarations (a second client on one transport adds its own). Refuses several groups of a topic without fan-out. */
  add(topics: TopicGroups): void {
    for (const [topic, { groups }] of Object.entries(topics)) {
      const unique = [...new Set(groups)];
      if (unique.length > 1 && !this.transport.capabilities.fanOut) {
        throw new CapabilityError(
          this.transport.name,
          'fan-out (several consumer groups on one topic)',
          `the client option \`topics.${topic}.groups\` declares ${unique.map((g) => `\`${g}\``).join(', ')}, and one queue cannot give each group its own copy`,
          'Declare one group per topic here (give each group its own topic), or use a transport with fan-out (kafka, rabbitmq).',
        );
      }
      if (!this.transport.declareGroups) continue; // a log keeps the topic's messages for any group
      const set = this.waiting.get(topic) ?? new Set<string>();
      for (const group of unique) set.add(group);
      this.waiting.set(topic, set);
    }
  }

  /** Resolves once every topic of `messages` has its groups; undefined when none waits (the common case). */
  before(messages: readonly OutgoingMessage[]): Promise<void> | undefined {
    if (this.waiting.size === 0) return undefined;
    let pending: Promise<void>[] | undefined;
    for (const m of messages) {
      if (this.waiting.has(m.topic)) (pending ??= []).push(this.declare(m.topic));
    }
    if (!pending) return undefined;
    return Promise.all(pending).then(() => undefined);
  }

  private declare(topic: string): Promise<void> {
    let run = this.running.get(topic);
    if (run) return run;
    const groups = [...(this.waiting.get(topic) ?? [])];
    const { orderingByKey } = this.transport.capabilities;
    run = this.transport.declareGroups!({ topic, groups, deadLetterTopic: `${topic}.dlq`, orderedByKey: orderingByKey }).then(
      () => {
        this.running.delete(topic);
        const left = this.waiting.get(topic);
        for (const group of groups) left?.delete(group);
        if (left?.size === 0) this.waiting.delete(topic);
      },
      (error: unknown) => {
        this.running.delete(topic); // tried again at the next send
        throw error;
      },
    );
    this.running.set(topic, run);
    return run;
  }
}
