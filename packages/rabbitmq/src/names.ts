/**
 * Broker object names, in one place so that the docs' topology drawing and the code agree.
 *   exchange  <topic>                      (topic)   where messages of a topic are published
 *   queue     <topic>.<group>              (quorum)  one per group; its consumers compete
 *   queue     <topic>.<group>.retry.<ms>   (TTL+DLX) nack(delay) copies wait here, then go back
 *                                                    to <topic>.<group> only
 *   exchange  <topic>.delay                (headers) publish-time delays pick a tier by header
 *   queue     <topic>.delay.<ms>           (TTL+DLX) dead-letters to <topic> with the original key
 *   queue     <topic>.stream               (stream)  kept for replay when the topic is configured
 *   queue     <topic>.<group>.replay       (quorum)  redeliveries of a replaying subscription
 */
export const names = {
  exchange: (topic: string) => topic,
  groupQueue: (topic: string, group: string) => `${topic}.${group}`,
  retryQueue: (target: string, tierMs: number) => `${target}.retry.${tierMs}`,
  delayExchange: (topic: string) => `${topic}.delay`,
  delayQueue: (topic: string, tierMs: number) => `${topic}.delay.${tierMs}`,
  streamQueue: (topic: string) => `${topic}.stream`,
  replayQueue: (topic: string, group: string) => `${topic}.${group}.replay`,
};

/** The smallest tier that holds `delayMs`; undefined when it exceeds the largest. */
export function tierFor(tiers: readonly number[], delayMs: number): number | undefined {
  for (const tier of tiers) if (tier >= delayMs) return tier;
  return undefined;
}
