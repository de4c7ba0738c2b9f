import type { StartPosition } from '@ferry/core';
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
