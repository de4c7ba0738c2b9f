import type { Capabilities } from '../spi/capabilities.ts';

/** What two transports can both do: each feature both have, each limit the smaller. */
export function commonCapabilities(a: Capabilities, b: Capabilities): Capabilities {
  return {
    orderingByKey: a.orderingByKey && b.orderingByKey,
    fanOut: a.fanOut && b.fanOut,
    replay: a.replay.filter((kind) => b.replay.includes(kind)),
    delay: a.delay === false || b.delay === false ? false : { maxMs: Math.min(a.delay.maxMs, b.delay.maxMs) },
    priority: a.priority === false || b.priority === false ? false : { max: Math.min(a.priority.max, b.priority.max) },
    nativeDeadLetter: a.nativeDeadLetter && b.nativeDeadLetter,
    transactions: a.transactions && b.transactions,
    maxMessageBytes: Math.min(a.maxMessageBytes, b.maxMessageBytes),
  };
}
