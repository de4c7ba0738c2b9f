/**
 * Where a fault run's effects are kept and how the parent counts them per message id. At-least-once
 * and eo-redis: the handlers' `H` lines (scenario.ts counts those itself). eo-inbox: rows in a
 * PostgreSQL schema of the run, committed in the inbox's transaction. eo-transactions: records of
 * an output topic, read with read_committed (only committed transactions), each counted once by
 * its partition and offset.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { storesFromEnv } from '../harness/index.ts';
import { dropRedisPrefix, runSchema } from '../exactly-once/stores.ts';
import type { EffectTarget, Mode } from './plan.ts';
import type { Endpoint } from './scenario.ts';

export interface Effects {
  /** What the consumer children are told. */
  readonly target: EffectTarget;
  /**
   * The committed effects per id, once every id of `expected` has one or `deadlineMs` has passed;
   * undefined when the effects are the `H` lines.
   */
  count?(expected: ReadonlySet<string>, deadlineMs: number): Promise<Map<string, number>>;
  /** Removes what the run wrote (schema, keys); `keep` leaves the evidence of a failed run. */
  close(keep: boolean): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const hasAll = (counts: ReadonlyMap<string, number>, expected: ReadonlySet<string>) => [...expected].every((id) => counts.has(id));

/** Sets up the run's effects for `mode`; `broker` is the Kafka to read an output topic from (directly, not through the fault proxy). */
export async function prepareEffects(mode: Mode, run: string, broker: Endpoint, log: (line: string) => void): Promise<Effects> {
  const stores = storesFromEnv();
  switch (mode) {
    case 'at-least-once':
      return { target: {}, close: async () => undefined };
    case 'eo-redis': {
      const keyPrefix = `ferry-faults:${run}:`;
      return { target: { redisUrl: stores.redis.url, keyPrefix }, close: (keep) => (keep ? (log(`kept Redis keys ${keyPrefix}*`), Promise.resolve()) : dropRedisPrefix(keyPrefix)) };
    }
    case 'eo-inbox': {
      const db = runSchema('ferry_faults');
      await db.migrated();
      await db.pool.query(`CREATE TABLE "${db.schema}".effects (seq bigserial PRIMARY KEY, id text NOT NULL, pid integer NOT NULL)`);
      return {
        target: { postgresUrl: stores.postgres.url, schema: db.schema },
        count: async (expected, deadlineMs) => {
          const deadline = Date.now() + deadlineMs;
          for (;;) {
            const { rows } = await db.pool.query<{ id: string; n: number }>(`SELECT id, count(*)::int AS n FROM "${db.schema}".effects GROUP BY id`);
            const counts = new Map(rows.map((r) => [r.id, r.n]));
            if (hasAll(counts, expected) || Date.now() > deadline) return counts;
            await sleep(1_000);
          }
        },
        close: async (keep) => {
          if (!keep) return db.drop();
          log(`kept PostgreSQL schema ${db.schema}`);
          await db.pool.end();
        },
      };
    }
    case 'eo-transactions': {
      const outputTopic = `faults-out-${run}`;
      return {
        target: { outputTopic },
        count: (expected, deadlineMs) => readOutput(broker, outputTopic, expected, deadlineMs),
        close: async () => undefined,
      };
    }
  }
}

/** Reads the whole output topic (read_committed, kafkajs's default) and counts records per input id. */
async function readOutput(broker: Endpoint, topic: string, expected: ReadonlySet<string>, deadlineMs: number): Promise<Map<string, number>> {
  const kafka = new Kafka({ clientId: 'ferry-faults-reader', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `ferry-faults-reader-${randomBytes(4).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  let lastRecordAt = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const at = `${partition}:${message.offset}`;
        if (seen.has(at)) return; // the reader's own redelivery (a rebalance) is not a second effect
        seen.add(at);
        lastRecordAt = Date.now();
        const { input } = JSON.parse(message.value!.toString()) as { input: string };
        counts.set(input, (counts.get(input) ?? 0) + 1);
      },
    });
    const deadline = Date.now() + deadlineMs;
    // Every input found, then 3 s without a record: copies, if any, would have come meanwhile.
    while (Date.now() < deadline && !(hasAll(counts, expected) && Date.now() - lastRecordAt > 3_000)) await sleep(200);
    return counts;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
