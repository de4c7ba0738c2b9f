import { randomUUID } from 'node:crypto';
import { FerryError, NonRetryableError } from '../errors.ts';
import type { ClaimResult, IdempotencyStore } from '../idempotency/store.ts';
import type { MessageContext, Middleware } from './types.ts';

export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  /** How long a completed key is remembered. */
  readonly ttlMs: number;
  /** How long a claim holds without a heartbeat: how soon a crashed holder's message runs again. */
  readonly leaseMs: number;
  /**
   * Dead-letter a message whose key was claimed this many times in a row by holders that vanished
   * (a handler that crashes its process), instead of running it forever. Default 5.
   */
  readonly maxClaims?: number;
  /** Default: `<group>:<message id>`, so each group has its own effect. */
  readonly key?: (ctx: MessageContext) => string;
  /** First wait of a copy whose twin is in progress; it doubles up to 1 s. Default 20 ms. */
  readonly pollMs?: number;
}

/** Another holder has the key (a twin copy, or this message's abandoned earlier attempt). Retryable. */
export class KeyInProgressError extends FerryError {
  constructor(key: string) {
    super('FERRY_IN_PROGRESS', `Message key ${JSON.stringify(key)} is still being handled by another attempt; it is retried later.`);
  }
}

/** The lease was taken over while this attempt ran (its heartbeat could not renew it in time). Retryable. */
export class LeaseLostError extends FerryError {
  constructor(key: string) {
    super('FERRY_LEASE_LOST', `The claim on message key ${JSON.stringify(key)} was taken over by another holder while the handler ran, so this attempt cannot mark it completed; it is retried and will find the other holder's outcome.`);
  }
}

/**
 * Gives each message key one effect, across every process that shares the store:
 * - a claim is a lease the attempt keeps alive while its handler runs (one heartbeat timer for all);
 * - a copy whose twin is in progress waits for the twin's outcome (completed → acknowledged as a
 *   duplicate; released → claims and runs), up to its own handler timeout;
 * - an attempt the loop gave up on (handler timeout, close) keeps its claim, no longer renewed,
 *   until its handler really ends or the lease runs out, so a retry never runs beside it within
 *   the lease; if the handler then succeeds, the key is completed;
 * - the key is marked completed only once the outcome is durable (ctx.onCommit), and only by the
 *   holder of the lease (fencing);
 * - a message claimed `maxClaims` times in a row by holders that vanished is dead-lettered.
 */
export function idempotency(options: IdempotencyOptions): Middleware {
  const { store, ttlMs, leaseMs } = options;
  const keyOf = options.key ?? ((ctx: MessageContext) => `${ctx.group}:${ctx.envelope.id}`);
  const pollMs = options.pollMs ?? 20;
  const maxClaims = options.maxClaims ?? 5;
  const lease = { leaseMs, ttlMs };
  const heartbeat = new Heartbeat(store, leaseMs);

  return (next) => async (ctx) => {
    if (!ctx.envelope.id) throw noIdError(ctx);
    const key = keyOf(ctx);
    const token = randomUUID();
    const claim = await claimOrWait(store, key, token, lease, ctx, pollMs);
    if (claim.state === 'completed') {
      ctx.outcome = { kind: 'duplicate' };
      return;
    }
    if (claim.state === 'in-progress') throw new KeyInProgressError(key);
    if (claim.claims > maxClaims) {
      await store.release(key, token);
      throw new NonRetryableError(
        `Message ${ctx.envelope.id} was claimed ${claim.claims - 1} times by attempts that never finished (their process died or was killed while handling it), ` +
          `more than idempotency.maxClaims (${maxClaims}): dead-lettered so it stops crashing consumers. Find why its handler crashes, then redrive it.`,
        { kind: 'crash-loop' },
      );
    }
    const hold = heartbeat.hold(key, token, ctx);
    try {
      await next(ctx);
    } catch (error) {
      heartbeat.drop(hold);
      await store.release(key, token);
      throw error;
    }
    heartbeat.drop(hold);
    // The loop gave up on this attempt (handler timeout, consumer closed) and settled the delivery
    // already, but the handler did finish: its effect happened, so the key is completed now.
    if (givenUp(ctx)) {
      await store.complete(key, token, ttlMs);
      return;
    }
    if (hold.lost) throw new LeaseLostError(key);
    ctx.onCommit(async () => {
      if (!(await store.complete(key, token, ttlMs))) throw new LeaseLostError(key);
    });
  };
}

/**
 * Whether the loop gave up on this attempt. Core's context answers without making its
 * AbortController (one per message costs more than the rest of this step); another context is
 * asked through its signal.
 */
function givenUp(ctx: MessageContext): boolean {
  return 'abandoned' in ctx && typeof ctx.abandoned === 'boolean' ? ctx.abandoned : ctx.signal.aborted;
}

/** The refusal of a message without an id under exactly-once (kind `no-id`); guards other than the store step give the same. */
export function noIdError(ctx: MessageContext): NonRetryableError {
  return new NonRetryableError(
    `Message of type ${JSON.stringify(ctx.envelope.type)} on ${JSON.stringify(ctx.envelope.topic)} has no id, so its copies cannot be told apart for exactly-once. ` +
      'Ferry producers always set one; a message from another client needs one (AMQP: the message-id property), or consume it with at-least-once.',
    { kind: 'no-id' },
  );
}

/** Claims the key, waiting (with backoff) while another holder's lease is live, until the attempt is aborted. */
export async function claimOrWait(store: IdempotencyStore, key: string, token: string, lease: { leaseMs: number; ttlMs: number }, ctx: MessageContext, pollMs: number): Promise<ClaimResult> {
  let claim = await store.claim(key, token, lease);
  let wait = pollMs;
  while (claim.state === 'in-progress' && !ctx.signal.aborted) {
    await abortableSleep(Math.min(wait, claim.retryInMs + 5), ctx.signal);
    wait = Math.min(1000, wait * 2);
    if (ctx.signal.aborted) break;
    claim = await store.claim(key, token, lease);
  }
  return claim;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A lease being kept alive. */
export interface Hold {
  readonly key: string;
  readonly token: string;
  readonly ctx: MessageContext;
  /** When it was last renewed (or claimed). */
  renewedAt: number;
  /** The store said the token no longer holds the key, or renewals failed until the lease ran out. */
  lost: boolean;
}

/**
 * One timer for every lease of a middleware instance, not one per message: most handlers finish
 * long before a renewal is due, so most holds cost a Set entry and nothing more.
 */
export class Heartbeat {
  private readonly holds = new Set<Hold>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs: number;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly leaseMs: number,
  ) {
    this.everyMs = Math.max(5, Math.floor(leaseMs / 3));
  }

  hold(key: string, token: string, ctx: MessageContext): Hold {
    const hold: Hold = { key, token, ctx, renewedAt: Date.now(), lost: false };
    this.holds.add(hold);
    if (!this.timer) {
      this.timer = setInterval(() => this.beat(), this.everyMs);
      this.timer.unref();
    }
    return hold;
  }

  drop(hold: Hold): void {
    this.holds.delete(hold);
    if (this.holds.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private beat(): void {
    const now = Date.now();
    for (const hold of this.holds) {
      if (hold.lost || now - hold.renewedAt < this.everyMs) continue;
      // Abandoned (timed out, or its consumer closed): no more renewals. The claim holds until the
      // handler ends or the lease runs out, whichever comes first; a process that lives on with a
      // stuck handler cannot block the message longer than one lease.
      if (hold.ctx.signal.aborted) continue;
      const asked = now;
      this.store.extend(hold.key, hold.token, this.leaseMs).then(
        (held) => {
          if (held) hold.renewedAt = Math.max(hold.renewedAt, asked);
          else hold.lost = true;
        },
        // The store is unreachable: keep trying; once the lease has surely run out, it is lost.
        () => {
          if (Date.now() - hold.renewedAt >= this.leaseMs) hold.lost = true;
        },
      );
    }
  }
}
