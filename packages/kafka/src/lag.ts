import type { DriverAdmin } from './driver.ts';

/** How long one measurement is reused: a metrics scrape (or several readers) must not query the broker each time. */
export const LAG_CACHE_MS = 1_000;

/**
 * A subscription's lag: over the partitions assigned to this member (the topic, the group's retry
 * topic, the delay topic), the end offset minus the group's committed offset (or minus the log
 * start when nothing is committed: a new group starts at the earliest record). Summed over the
 * group's members it is the group's lag. End offsets are the last stable offsets
 * (read_committed): a transaction's commit marker counts as one record until a later one is read.
 */
export class GroupLag {
  private cached: { at: number; value: Promise<number> } | undefined;

  constructor(
    private readonly admin: () => Promise<DriverAdmin>,
    private readonly group: string,
    /** This member's partitions, by topic (the last assignment). */
    private readonly assigned: () => Readonly<Record<string, readonly number[]>>,
  ) {}

  /** Measured at most once per LAG_CACHE_MS; concurrent callers share one measurement. */
  messages(): Promise<number> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < LAG_CACHE_MS) return this.cached.value;
    const value = this.measure();
    this.cached = { at: now, value };
    // A failed measurement is not reused.
    value.catch(() => {
      if (this.cached?.value === value) this.cached = undefined;
    });
    return value;
  }

  private async measure(): Promise<number> {
    const assignment = this.assigned();
    const topics = Object.keys(assignment).filter((t) => (assignment[t]?.length ?? 0) > 0);
    if (topics.length === 0) return 0;
    const admin = await this.admin();
    const committed = await committedOffsets(admin, this.group, topics);
    // One topic at a time: kafkajs's fetchTopicOffsets calls running together can get an empty answer.
    const ends = [];
    for (const topic of topics) ends.push(await endOffsets(admin, topic));
    let messages = 0;
    for (const [i, topic] of topics.entries()) {
      const mine = new Set(assignment[topic]);
      const stored = committed.get(topic);
      for (const { partition, high, low } of ends[i]!) {
        if (!mine.has(partition)) continue;
        const at = stored?.get(partition) ?? -1;
        messages += Math.max(0, Number(high) - (at >= 0 ? at : Number(low)));
      }
    }
    return messages;
  }
}

/** The group's committed offsets of `topics`, by topic and partition (-1: none committed). */
export async function committedOffsets(admin: DriverAdmin, group: string, topics: string[]): Promise<Map<string, Map<number, number>>> {
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  return new Map(committed.map(({ topic, partitions }) => [topic, new Map(partitions.map((p) => [p.partition, Number(p.offset)]))]));
}

/** Errors of a partition whose leadership is moving or just created: metadata refreshed, asked again. */
const LEADER_MOVING = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION']);

async function endOffsets(admin: DriverAdmin, topic: string): ReturnType<DriverAdmin['fetchTopicOffsets']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (attempt >= 5 || !LEADER_MOVING.has(String((error as { type?: unknown }).type))) throw error;
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
