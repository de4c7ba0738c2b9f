/**
 * Partition assignment that respects what each member subscribed to. kafkajs's RoundRobinAssigner
 * spreads every topic of the group over every member, so two subscriptions of one Ferry group on
 * different topics (one consumer handling two topics) would receive each other's partitions.
 * Here each topic's partitions go round-robin over the members subscribed to it; the starting
 * member rotates per topic so small topics do not all land on the first member.
 */
export interface MemberSubscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export function assignPartitions(
  members: readonly MemberSubscription[],
  partitionsOf: (topic: string) => readonly number[],
): Map<string, Record<string, number[]>> {
  const result = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  let rotation = 0;
  for (const topic of topics) {
    const subscribers = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    const partitions = [...partitionsOf(topic)].sort((a, b) => a - b);
    partitions.forEach((partition, i) => {
      const memberId = subscribers[(i + rotation) % subscribers.length]!;
      const assignment = result.get(memberId)!;
      (assignment[topic] ??= []).push(partition);
    });
    rotation += partitions.length;
  }
  return result;
}
