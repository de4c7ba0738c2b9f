/**
 * Exactly-once across real process crashes, on Kafka, RabbitMQ and SQS (ElasticMQ, standard
 * queue): two competing consumer processes, 20,000 messages, a child SIGKILLed 10 times at random
 * moments and restarted; the effect is a row in PostgreSQL, counted by message id.
 *   - PostgreSQL inbox (effect and key in one transaction): no message lost, none duplicated.
 *   - Redis store (effect autocommitted, then the completion): none lost; duplicates only from the
 *     documented window between the effect and its completion (the process killed there, or its
 *     commit failing there because a rebalance took the partition), each one shown to be so.
 * FERRY_CRASH_MESSAGES / FERRY_CRASH_KILLS change the figures (defaults 20,000 and 10).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CRASH_SETTINGS, type CrashBroker, type CrashMode } from './crash-settings.ts';
import { crashRun, formatCrashTable, type CrashResult } from './crash-run.ts';

const messages = Number(process.env.FERRY_CRASH_MESSAGES ?? 20_000);
const kills = Number(process.env.FERRY_CRASH_KILLS ?? 10);
const results: CrashResult[] = [];

afterAll(() => {
  if (results.length > 0) console.log(`\nexactly-once under SIGKILL (${messages} messages, 2 consumer processes, concurrency ${CRASH_SETTINGS.concurrency} each)\n${formatCrashTable(results)}\n`);
});

const combos: Array<[CrashBroker, CrashMode]> = [
  ['rabbitmq', 'inbox'],
  ['rabbitmq', 'redis'],
  ['sqs', 'inbox'],
  ['sqs', 'redis'],
  ['kafka', 'inbox'],
  ['kafka', 'redis'],
];

describe('exactly-once with consumer processes killed by SIGKILL', () => {
  for (const [broker, mode] of combos) {
    it(`${broker}, ${mode === 'inbox' ? 'PostgreSQL inbox' : 'Redis store'}: ${messages} messages, ${kills} kills`, { timeout: 240_000 }, async () => {
      const result = await crashRun(broker, mode, { messages, kills, deadlineMs: 180_000 });
      results.push(result);
      console.log(formatCrashTable([result]));
      expect(result.kills).toBe(kills);
      expect(result.lost).toBe(0);
      if (mode === 'inbox') {
        expect(result.duplicates).toBe(0);
      } else {
        // Only the window between effect and completion can run a message twice: a process killed
        // there, or one whose commit of the outcome failed there (a rebalance took the partition);
        // every duplicated id must show one or the other, and at most the in-flight handlers per kill.
        expect(result.duplicatesUnexplained).toBe(0);
        expect(result.duplicates).toBeLessThanOrEqual(kills * CRASH_SETTINGS.concurrency);
      }
    });
  }
});
