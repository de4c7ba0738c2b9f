/**
 * What a consumer child does in each mode: its consumer options (the exactly-once step) and the
 * effect its handler has. The `H <id>` line is written in every mode, synchronously, when the
 * handler runs; in eo-inbox and eo-transactions the effect proper is committed after it (a row,
 * an output record) and the parent counts those instead (effects.ts).
 */
import { writeSync } from 'node:fs';
import type { ConsumerOptions, MessageContext } from '@ferry/core';
import { postgresInbox } from '@ferry/postgres';
import { RedisIdempotencyStore } from '@ferry/redis';
import pg from 'pg';
import { faultOutput, LINE, type ChildConfig } from './plan.ts';

export interface ModeSetup {
  readonly options: Pick<ConsumerOptions, 'delivery' | 'idempotency'>;
  readonly effect: (ctx: MessageContext) => Promise<void>;
}

/** Retries and claims sized for the faults: a message may meet several kills and a lease running out. */
export const EXACTLY_ONCE = { leaseMs: 5_000, maxClaims: 50 } as const;
/** Inbox handlers each hold a connection; the shared PostgreSQL has room for a few such pools. */
const INBOX_POOL = 16;

const handled = (ctx: MessageContext): void => void writeSync(1, `${LINE.handled} ${ctx.envelope.id}\n`);
const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`FERRY_FAULT: effects.${what} is required in this mode`);
  return value;
};

export function modeSetup(config: ChildConfig): ModeSetup {
  const { effects } = config;
  switch (config.mode) {
    case 'at-least-once':
      return { options: { delivery: 'at-least-once' }, effect: async (ctx) => handled(ctx) };
    case 'eo-redis': {
      const store = new RedisIdempotencyStore({ url: need(effects.redisUrl, 'redisUrl'), keyPrefix: need(effects.keyPrefix, 'keyPrefix') });
      return { options: { delivery: 'exactly-once', idempotency: { store, ...EXACTLY_ONCE } }, effect: async (ctx) => handled(ctx) };
    }
    case 'eo-inbox': {
      const schema = need(effects.schema, 'schema');
      const pool = new pg.Pool({ connectionString: need(effects.postgresUrl, 'postgresUrl'), max: INBOX_POOL });
      pool.on('error', () => undefined);
      const inbox = postgresInbox({ pool, schema, maxClaims: EXACTLY_ONCE.maxClaims });
      return {
        options: { delivery: 'exactly-once', idempotency: inbox },
        effect: async (ctx) => {
          handled(ctx);
          // No unique key on id: a second commit of one message's effect shows as a second row.
          await inbox.tx(ctx).query(`INSERT INTO "${schema}".effects (id, pid) VALUES ($1, $2)`, [ctx.envelope.id, process.pid]);
        },
      };
    }
    case 'eo-transactions': {
      const Output = faultOutput(need(effects.outputTopic, 'outputTopic'));
      // The default (per-process memory) store; what makes it exactly-once is the transaction
      // that carries the output and the input's offset together.
      return {
        options: { delivery: 'exactly-once' },
        effect: async (ctx) => {
          handled(ctx);
          await ctx.publish(Output, { input: ctx.envelope.id });
        },
      };
    }
  }
}
