/**
 * Rolled back means never published: transactions that publish to the outbox and roll back,
 * between ones that commit, with a relay running (in this process) and a consumer on the broker.
 */
import { randomBytes } from 'node:crypto';
import { createClient, defineMessage } from '@ferry/core';
import { postgresOutbox } from '@ferry/postgres';
import { z } from 'zod';
import { uniqueName } from '../harness/index.ts';
import { runSchema } from '../exactly-once/stores.ts';
import { brokerUrl, consumerClient, type OutboxBroker } from './brokers.ts';

export interface RollbackResult {
  readonly committed: number;
  readonly rolledBack: number;
  /** Committed messages that arrived (all must). */
  readonly arrived: number;
  /** Rolled-back messages that arrived (none may). */
  readonly rolledBackArrived: number;
}

export async function rollbackRun(broker: OutboxBroker, transactions = 100): Promise<RollbackResult> {
  const db = runSchema('ferry_outbox_rb');
  const Item = defineMessage('outbox.rollback', z.object({ n: z.number().int() }), { topic: uniqueName(`outbox-rb-${broker}`) });
  const consumer = await consumerClient(broker);
  const sender = await createClient(brokerUrl(broker));
  const run = randomBytes(4).toString('hex');
  try {
    await db.migrated();
    const seen = new Set<string>();
    await consumer.consumer({ group: uniqueName('outbox-rb-g'), concurrency: 16 }).handle(Item, async (_p, ctx) => void seen.add(ctx.envelope.id)).start();
    const outbox = postgresOutbox({ pool: db.pool, schema: db.schema });
    const relay = await outbox.startRelay(sender, { pollIntervalMs: 200 });
    const committed: string[] = [];
    const rolledBack: string[] = [];
    for (let t = 0; t < transactions; t++) {
      const tx = await db.pool.connect();
      try {
        await tx.query('BEGIN');
        const ids = await outbox.publishBatch(tx, [0, 1].map((i) => ({ message: Item, payload: { n: 2 * t + i }, options: { id: `${run}-${t}-${i}`, key: `k-${t % 7}` } })));
        const keep = t % 2 === 0;
        await tx.query(keep ? 'COMMIT' : 'ROLLBACK');
        (keep ? committed : rolledBack).push(...ids);
      } finally {
        tx.release();
      }
    }
    const deadline = Date.now() + 60_000;
    while (committed.some((id) => !seen.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000)); // anything else would arrive meanwhile
    await relay.stop();
    return {
      committed: committed.length,
      rolledBack: rolledBack.length,
      arrived: committed.filter((id) => seen.has(id)).length,
      rolledBackArrived: rolledBack.filter((id) => seen.has(id)).length,
    };
  } finally {
    await sender.close({ timeoutMs: 2_000 });
    await consumer.close({ timeoutMs: 2_000 });
    await db.drop();
  }
}
