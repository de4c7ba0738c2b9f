import { createHash } from 'node:crypto';

/**
 * Topic names the adapter derives. Kafka allows [A-Za-z0-9._-], at most 249 characters; a name
 * that would be longer keeps a readable prefix and ends in a hash of the full name.
 */
const MAX = 249;

function fit(name: string): string {
  if (name.length <= MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.slice(0, MAX - 17)}.${hash}`;
}

/** Per-group retry topic: nack(delay) copies wait here, read back only by this group. */
export function retryTopic(topic: string, group: string): string {
  return fit(`${topic}.${group}.retry`);
}

/** Per-topic delay topic: publishes with delayMs wait here; every group of the topic reads it. */
export function delayTopic(topic: string): string {
  return fit(`${topic}.delay`);
}

/** Transactional id of the producer that commits one input partition's transactions (fences zombies of that partition). */
export function transactionalId(group: string, topic: string, partition: number): string {
  return fit(`ferry.${group}.${topic}.${partition}`);
}
