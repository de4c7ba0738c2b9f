/**
 * The fault suite's reduced run, per broker, in CI (`pnpm faults` runs the full one): 10,000
 * messages through consumer kills, a broker restart and connection cuts; nothing the broker
 * accepted may be lost. Duplicates are allowed (at-least-once) and printed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { endpointsFromEnv } from '../harness/index.ts';
import { REDUCED, type BrokerKind } from './plan.ts';
import { formatTable } from './report.ts';
import { runScenario, type Result } from './scenario.ts';
import { target } from './targets.ts';

const results: Result[] = [];
afterAll(() => {
  if (results.length > 0) console.log(`fault suite (reduced):\n${formatTable(results)}`);
});

/** Broker restarts the harness can do here (Kafka and ElasticMQ: not yet). */
const RESTARTS: Record<BrokerKind, number> = { kafka: 0, rabbitmq: 1, sqs: 0 };

describe('fault suite (reduced)', () => {
  for (const broker of ['kafka', 'rabbitmq', 'sqs'] as const) {
    it(`${broker}: at-least-once loses nothing through ${REDUCED.kills} consumer kills, ${RESTARTS[broker]} broker restart(s) and ${REDUCED.cuts} connection cuts`, async () => {
      const result = await runScenario(target(broker, endpointsFromEnv()), { ...REDUCED, restarts: RESTARTS[broker], broker, mode: 'at-least-once' });
      results.push(result);
      expect(result.lost, `lost ids, e.g. ${result.lostSample.join(', ')}\n${result.stderrTail.join('\n')}`).toBe(0);
      expect(result.published).toBe(REDUCED.messages);
      expect(result.complete).toBe(true);
    }, REDUCED.deadlineMs + 60_000);
  }
});
