/**
 * Runs the benchmarks one after another (never at once: they would measure each other).
 *
 *   pnpm bench                 # memory (with core-consume: handle and handleBatch draining a backlog), memory-backlog (peak RSS draining 1M), kafka and rabbitmq (each against the raw client,
 *                              # then against the broker's own tool: ProducerPerformance/ConsumerPerformance, PerfTest),
 *                              # sqs, observability, exactly-once (RabbitMQ + Redis + PostgreSQL),
 *                              # outbox (RabbitMQ + PostgreSQL)
 *                              # bridge (per direction: Kafka→RabbitMQ, RabbitMQ→SQS, SQS→Kafka)
 *   pnpm bench kafka sqs       # only these
 *   pnpm bench tools           # only the brokers' own tools against Ferry
 *
 * The broker benchmarks need the brokers: `pnpm brokers start` first. Each benchmark takes its
 * own arguments when run directly: `pnpm exec tsx integration/bench/kafka.ts 50000 1000 3`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ALL = ['memory', 'memory-backlog', 'kafka', 'rabbitmq', 'sqs', 'observability', 'exactly-once', 'outbox', 'bridge', 'tools'] as const;
/**
 * What each name runs: a broker's name runs its raw-client comparison and then, where the broker
 * has a benchmark tool of its own, the comparison with that tool (so `pnpm bench kafka` prints
 * both sets of ratios); `tools` alone runs only the latter, for every broker that has one.
 */
const SCRIPTS: Record<(typeof ALL)[number], readonly (readonly string[])[]> = {
  memory: [['memory.ts'], ['core-consume.ts']],
  'memory-backlog': [['memory-backlog.ts']],
  kafka: [['kafka.ts'], ['tools.ts', 'kafka']],
  rabbitmq: [['rabbitmq.ts'], ['tools.ts', 'rabbitmq']],
  sqs: [['sqs.ts']],
  observability: [['observability.ts']],
  'exactly-once': [['exactly-once.ts']],
  outbox: [['outbox.ts']],
  bridge: [['bridge.ts']],
  tools: [['tools.ts']],
};
const here = path.dirname(fileURLToPath(import.meta.url));
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(ALL as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}: choose from ${ALL.join(', ')}.`);
  process.exit(2);
}
let failed = 0;
// Without names: every benchmark once (the broker names already include their tool comparisons).
const names = asked.length > 0 ? (asked as (typeof ALL)[number][]) : ALL.filter((name) => name !== 'tools');
for (const name of names) {
  for (const [script, ...args] of SCRIPTS[name]) {
    console.log(`\n=== bench ${name}: ${[script, ...args].join(' ')}`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, script!), ...args], { stdio: 'inherit', env: process.env });
    if (run.status !== 0) {
      failed++;
      console.error(`bench ${name} (${script}) failed (exit ${run.status ?? run.signal}); is its broker running? (pnpm brokers start)`);
    }
  }
}
process.exit(failed > 0 ? 1 : 0);
