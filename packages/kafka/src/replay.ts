import type { StartPosition } from '@ferry/core/spi';
import type { DriverAdmin } from './driver.ts';

/**
 * Where a replaying subscription starts, per partition of its topic: the earliest retained
 * offset, a given offset (one partition, or every partition when none is named), or the first
 * offset at or after a timestamp (ListOffsets by time; the end of the partition when none is).
 * Empty for `stored`: the group's committed position.
 */
export async function replayPositions(admin: DriverAdmin, topic: string, start: StartPosition): Promise<Map<number, number>> {
  const positions = new Map<number, number>();
  switch (start.from) {
    case 'stored':
      return positions;
    case 'earliest':
      for (const p of await admin.fetchTopicOffsets(topic)) positions.set(p.partition, Number(p.low));
      return positions;
    case 'offset':
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (start.partition !== undefined && p.partition !== start.partition) continue;
        // Clamped to what the partition holds, so an out-of-range offset does not reset elsewhere.
        positions.set(p.partition, Math.min(Math.max(start.offset, Number(p.low)), Number(p.high)));
      }
      return positions;
    case 'timestamp': {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
      for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp)) {
        const offset = Number(p.offset);
        positions.set(p.partition, offset >= 0 ? offset : (ends.get(p.partition) ?? 0));
      }
      return positions;
    }
  }
}

/** Group states in which no member runs (kafkajs reports a group never used as Dead). */
const NOT_RUNNING = new Set(['Empty', 'Dead']);

/**
 * Whether no member of the group runs. Replay repositions a group that is not running: its first
 * members seek their partitions and commit those positions, so partitions that move to a member
 * joining later continue from there. A member joining a group that runs already takes the group's
 * positions instead of seeking its partitions again, which would hand their messages out twice.
 */
export async function groupIsIdle(admin: DriverAdmin, group: string): Promise<boolean> {
  const { groups } = await admin.describeGroups([group]);
  return NOT_RUNNING.has(groups.find((g) => g.groupId === group)?.state ?? 'Dead');
}
