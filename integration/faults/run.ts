/**
 * `pnpm faults [kafka|rabbitmq|sqs ...] [--reduced] [--mode at-least-once|exactly-once]
 *  [--messages N] [--kills N] [--restarts N] [--cuts N]`: the fault suite (docs/reliability.md).
 * Exits non-zero if any published message was lost.
 */
import { parseArgs } from 'node:util';
import { provisionBrokers } from '../harness/index.ts';
import { FULL, REDUCED, type BrokerKind, type Mode, type Plan } from './plan.ts';
import { formatTable } from './report.ts';
import { runScenario, type Result } from './scenario.ts';
import { target } from './targets.ts';
import { faultBroker } from './brokers.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reduced: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'at-least-once' },
    messages: { type: 'string' },
    kills: { type: 'string' },
    restarts: { type: 'string' },
    cuts: { type: 'string' },
  },
});
const brokers = (positionals.length > 0 ? positionals : ['kafka', 'rabbitmq', 'sqs']) as BrokerKind[];
for (const b of brokers) if (!['kafka', 'rabbitmq', 'sqs'].includes(b)) throw new Error(`unknown broker ${b}: use kafka, rabbitmq or sqs`);
const modes = String(values.mode).split(',') as Mode[];
const base = values.reduced ? REDUCED : FULL;
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

// The harness finds or starts the brokers, as for the tests (RabbitMQ is the test run's; Kafka and
// ElasticMQ runs get instances of their own, see brokers.ts).
const { endpoints } = await provisionBrokers(brokers.filter((b) => b === 'rabbitmq'));
const results: Result[] = [];
for (const broker of brokers) {
  for (const mode of modes) {
    const plan: Plan = {
      ...base,
      broker,
      mode,
      messages: num(values.messages, base.messages),
      kills: num(values.kills, base.kills),
      restarts: num(values.restarts, base.restarts),
      cuts: num(values.cuts, base.cuts),
    };
    const result = await runScenario(await target(broker, endpoints), plan, (line) => console.log(`[faults] ${line}`));
    results.push(result);
    if (result.lost > 0) console.log(`[faults] ${broker} lost ${result.lost}, e.g. ${result.lostSample.join(', ')}\n${result.stderrTail.join('\n')}`);
  }
}
console.log(`\n${formatTable(results)}`);
for (const b of brokers) if (b !== 'rabbitmq') await faultBroker('stop', b);
process.exit(results.some((r) => r.lost > 0 || !r.complete) ? 1 : 0);
