/**
 * Runs the benchmarks one after another (never at once: they would measure each other).
 *
 *   pnpm bench                 # memory, memory-backlog (peak RSS draining 1M), kafka, rabbitmq, sqs, observability, exactly-once (RabbitMQ + Redis + PostgreSQL),
 *                              # tools (Kafka's ProducerPerformance/ConsumerPerformance, RabbitMQ's PerfTest)
 *                              # outbox (RabbitMQ + PostgreSQL)
 *                              # bridge (per direction: Kafka→RabbitMQ, RabbitMQ→SQS, SQS→Kafka)
 *   pnpm bench kafka sqs       # only these
 *
 * The broker benchmarks need the brokers: `pnpm brokers start` first. Each benchmark takes its
 * own arguments when run directly: `pnpm exec tsx integration/bench/kafka.ts 50000 1000 3`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ALL = ['memory', 'memory-backlog', 'kafka', 'rabbitmq', 'sqs', 'observability', 'exactly-once', 'outbox', 'bridge', 'tools'] as const;
const here = path.dirname(fileURLToPath(import.meta.url));
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(ALL as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}: choose from ${ALL.join(', ')}.`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length > 0 ? asked : ALL) {
  console.log(`\n=== bench ${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${name}.ts`)], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${run.status ?? run.signal}); is its broker running? (pnpm brokers start)`);
  }
}
process.exit(failed > 0 ? 1 : 0);
