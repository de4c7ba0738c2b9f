/**
 * The fault suite's reduced run, per broker, in CI (`pnpm faults` runs the full one): 10,000
 * messages through consumer kills, a broker restart and connection cuts; nothing the broker
 * accepted may be lost. Duplicates are allowed (at-least-once) and printed. The exactly-once modes
 * run only in `pnpm faults --mode ...`: on this 2-core machine under load they do not fit CI's
 * minute per broker (docs/reliability.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { endpointsFromEnv } from '../harness/index.ts';
import { REDUCED } from './plan.ts';
import { describeLoss, formatRecoveries, formatTable } from './report.ts';
import { runScenario, type Result } from './scenario.ts';
import { target } from './targets.ts';
import { faultBroker } from './brokers.ts';

const results: Result[] = [];
afterAll(async () => {
  if (results.length > 0) console.log(`fault suite (reduced):\n${formatTable(results)}\n${results.map((r) => `${r.broker} ${r.mode}:\n${formatRecoveries(r)}`).join('\n')}`);
  // The Kafka and ElasticMQ instances the runs started for themselves.
  await Promise.allSettled([faultBroker('stop', 'kafka'), faultBroker('stop', 'sqs')]);
});

describe('fault suite (reduced)', () => {
  for (const broker of ['kafka', 'rabbitmq', 'sqs'] as const) {
    it(`${broker}: at-least-once loses nothing through ${REDUCED.kills} consumer kills, ${REDUCED.restarts} broker restart and ${REDUCED.cuts} connection cuts`, async () => {
      const result = await runScenario(await target(broker, endpointsFromEnv()), { ...REDUCED, broker, mode: 'at-least-once' });
      results.push(result);
      expect(result.lost, `${describeLoss(result)}\n${result.stderrTail.join('\n')}`).toBe(0);
      expect(result.published).toBe(REDUCED.messages);
      expect(result.complete).toBe(true);
    }, REDUCED.deadlineMs + 60_000);
  }
});
