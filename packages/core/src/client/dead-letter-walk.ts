import { NotFoundError } from '../errors.ts';
import type { GatedDelivery } from '../consumer/delivery-gate.ts';
import { HEADERS } from '../spi/envelope.ts';
import { DEAD_LETTER_GROUP, type Transport } from '../spi/transport.ts';
import { openSubscription } from './guarded-transport.ts';

/**
 * What a visitor did with a dead letter: `settled` (acked, gone), `hold` (kept unsettled until the
 * walk ends, then given back: a peek), `skip` (left in the dead-letter topic while others are
 * settled around it).
 */
export type WalkStep = 'settled' | 'hold' | 'skip';

export interface WalkOptions {
  readonly deadLetterTopic: string;
  /** Stop when nothing arrived for this long. */
  readonly idleMs: number;
  /** Visit at most this many. */
  readonly limit: number;
  /** Most held at once: a peek sees at most this many. */
  readonly maxInFlight: number;
  readonly orderedByKey: boolean;
}

export interface WalkResult {
  readonly visited: number;
  /** The walk stopped because it held `maxInFlight`: more may wait behind them. */
  readonly full: boolean;
}

/** Longest a walk keeps a dead letter unsettled (an SQS lease is extended up to it). */
const HOLD_MS = 3_600_000;

/**
 * Reads a dead-letter topic with DEAD_LETTER_GROUP, one delivery at a time and in order, until it
 * is quiet for `idleMs` or `limit` were visited. A topic the broker does not have is a
 * NotFoundError before anything is subscribed (a subscription would create it). Nothing is
 * dead-lettered from it, so no `<topic>.dlq` is declared. What is held is given back at the end:
 * released where the broker can (a requeue), else never acknowledged (Kafka: no offset committed).
 */
export async function walkDeadLetters(transport: Transport, options: WalkOptions, visit: (delivery: GatedDelivery) => Promise<WalkStep>): Promise<WalkResult> {
  await requireDeadLetterTopic(transport, options.deadLetterTopic);
  const startedAt = Date.now();
  let visited = 0;
  let held = 0;
  /** What this walk did with each dead letter it saw, by identity (id, dead-letter time, origin). */
  const seen = new Map<string, WalkStep | 'left'>();
  let idleTimer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(finish, options.idleMs);
  };
  let failure: unknown;
  let chain = Promise.resolve();
  const subscription = await openSubscription(
    transport,
    { topic: options.deadLetterTopic, group: DEAD_LETTER_GROUP, maxInFlight: options.maxInFlight, start: { from: 'stored' }, deadLetterTopic: '', handlerTimeoutMs: HOLD_MS, orderedByKey: options.orderedByKey, delivery: 'at-least-once' },
    (delivery) => {
      chain = chain.then(async () => {
        if (visited >= options.limit || failure !== undefined) return; // held, given back at the end
        const { headers } = delivery.envelope;
        const identity = `${delivery.envelope.id}|${headers[HEADERS.deadLetterAt] ?? ''}|${headers[HEADERS.originalCoordinates] ?? ''}`;
        const before = seen.get(identity);
        try {
          // A second copy of one this walk settled (dead letters are written at least once, so a
          // topic can hold the same one twice): settled too, or a purge would leave it behind.
          if (before === 'settled') return void (await delivery.ack());
          // A copy this walk put back (see leave) came round again: held, never looked at twice.
          if (before !== undefined) return void held++;
          armIdle();
          // Dead-lettered again while this walk runs (a redriven message that fails again): left for the next run.
          if (Number(new Date(headers[HEADERS.deadLetterAt] ?? 0)) >= startedAt) {
            seen.set(identity, 'left');
            if (await leave(transport, delivery)) held++;
            return;
          }
          visited++;
          const step = await visit(delivery);
          seen.set(identity, step);
          if (step === 'hold' || (step === 'skip' && (await leave(transport, delivery)))) held++;
        } catch (error) {
          failure = error;
          finish();
          return;
        }
        if (visited >= options.limit || held >= options.maxInFlight) finish();
      });
    },
  );
  armIdle();
  await done;
  clearTimeout(idleTimer);
  await subscription.stop?.();
  await chain;
  await subscription.close();
  if (failure !== undefined) throw failure;
  return { visited, full: held >= options.maxInFlight };
}

/**
 * Leaves a dead letter in the topic while others around it are acknowledged. Held and given back
 * at the end where the broker can release. On a log (Kafka: no release, and offsets commit in
 * order, so holding it would hold back the commits after it) the same envelope is appended to the
 * topic again and this one acknowledged. True when held.
 */
async function leave(transport: Transport, delivery: GatedDelivery): Promise<boolean> {
  if (delivery.inner.release !== undefined) return true;
  await transport.send([delivery.envelope]);
  await delivery.ack();
  return false;
}

/** A NotFoundError when the transport can tell the dead-letter topic does not exist. */
export async function requireDeadLetterTopic(transport: Transport, deadLetterTopic: string): Promise<void> {
  if (!transport.hasGroup || (await transport.hasGroup(deadLetterTopic, DEAD_LETTER_GROUP))) return;
  throw new NotFoundError(
    transport.name,
    deadLetterTopic,
    'dead-letter topic',
    `Check the name: a consumer of topic \`t\` dead-letters to \`t.dlq\` (its \`deadLetter.topic\` option), and it exists once that consumer has started.`,
  );
}
