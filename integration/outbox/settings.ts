/** The outbox tests' sizes: FERRY_OUTBOX_MESSAGES and FERRY_OUTBOX_KILLS change them (defaults 20,000 and 10). */
import type { OutboxRunOptions } from './outbox-run.ts';

const messages = Number(process.env.FERRY_OUTBOX_MESSAGES ?? 20_000);
const kills = Number(process.env.FERRY_OUTBOX_KILLS ?? 10);

/** One relay process, SIGKILLed `kills` times at random moments while the writers run, restarted each time. */
export const KILL_RUN: OutboxRunOptions = { messages, kills, relays: 1, keys: 64, writers: 16, deadlineMs: 150_000 };

/** Two relay processes together, no kills: each row must be published once. */
export const TWO_RELAYS_RUN: OutboxRunOptions = { messages: Math.min(messages, 5_000), kills: 0, relays: 2, keys: 64, writers: 16, deadlineMs: 90_000 };
