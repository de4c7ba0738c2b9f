/**
 * The runbooks of docs/migration.md, live: an application publishing and consuming steadily moves
 * from one broker to another by restarting its instances with new URLs, step by step (consumers on
 * both, producers mirrored, producers on the new broker, the old one drained, consumers on the new
 * one). Counted by id: 0 lost, 0 duplicate effects (the mirror's second copies are dropped by the
 * shared Redis store), and nothing left on the old broker for the group.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Broker } from './brokers.ts';
import { cutOverRun, type CutOverResult } from './cut-over-run.ts';

const results: CutOverResult[] = [];

afterAll(() => {
  if (results.length === 0) return;
  const rows = results.map((r) => `| ${r.direction} | ${r.published} | ${r.publishRetries} | ${r.lost} | ${r.duplicatedDeliveries} | ${r.duplicateEffects} | ${r.leftOnA} | ${r.seconds} |`);
  console.log(['\nlive cut-over', '| direction | published | publish retries | lost | duplicated deliveries | duplicate effects | left on the old broker | seconds |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
});

const directions: Array<[Broker, Broker]> = [
  ['kafka', 'sqs'],
  ['rabbitmq', 'kafka'],
  ['sqs', 'rabbitmq'],
];

describe('live cut-over from one broker to another, by the runbook', () => {
  for (const [from, to] of directions) {
    it(`${from} → ${to}`, { timeout: 240_000 }, async () => {
      const result = await cutOverRun(from, to, { dwellMs: 3_000, intervalMs: 5, deadlineMs: 120_000 });
      results.push(result);
      console.log(`${result.direction}: ${result.published} published\n${result.steps.map((s) => `  ${s.atSeconds} s  ${s.step}  (published ${s.published}, effects ${s.effects})`).join('\n')}`);
      expect(result.published).toBeGreaterThan(500);
      expect(result.lost).toBe(0);
      expect(result.duplicateEffects).toBe(0);
      // The mirror step delivered copies from both brokers: the store had work to do.
      expect(result.duplicatedDeliveries).toBeGreaterThan(0);
      expect(result.leftOnA).toBe(0);
    });
  }
});
