import { Partitioners, type ICustomPartitioner, type IHeaders } from 'kafkajs';
import { H } from './codec.ts';

/**
 * kafkajs's default partitioner, except that a record without a key goes to the partition its
 * envelope header hashes to (`ferry-envelope`, `ferry-id` or `ce_id`, whichever the form writes:
 * each holds the id) instead of the next one in a round robin.
 *
 * Why: when a produce request fails for one partition (NOT_LEADER_FOR_PARTITION right after a topic
 * is created, a leader moving), kafkajs retries the whole batch and partitions it again. A round
 * robin then puts keyless records on other partitions than the first attempt: records the first
 * attempt wrote are written a second time elsewhere, and the idempotent producer's per-partition
 * sequence numbers no longer match what the broker holds (OUT_OF_ORDER_SEQUENCE_NUMBER, after which
 * kafkajs's producer fails every send; tulios/kafkajs#598). With the partition a function of the
 * record, a retry repeats the first attempt exactly and the broker drops what it already has.
 */
export const stablePartitioner: ICustomPartitioner = () => {
  const byDefault = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    const id = recordIdentity(message.headers);
    const keyless = (message.key === null || message.key === undefined) && (message.partition === null || message.partition === undefined);
    if (!keyless || typeof id !== 'string' || partitionMetadata.length === 0) return byDefault(args);
    return fnv1a(id) % partitionMetadata.length;
  };
};

/** The header that holds a record's id, whichever envelope form wrote it (both drivers' header shapes). */
export function recordIdentity(headers: IHeaders | ReadonlyMap<string, unknown> | undefined): unknown {
  if (headers instanceof Map) return headers.get(H.envelope) ?? headers.get(H.id) ?? headers.get('ce_id');
  const fields = headers as IHeaders | undefined;
  return fields?.[H.envelope] ?? fields?.[H.id] ?? fields?.['ce_id'];
}

/** FNV-1a, 32 bits: cheap, and spreads random ids evenly. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
