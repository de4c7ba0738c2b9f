/**
 * `pnpm faults [kafka|rabbitmq|sqs ...] [--reduced] [--mode <mode>[,<mode>...]|all]
 *  [--messages N] [--kills N] [--restarts N] [--cuts N]`: the fault suite (docs/reliability.md).
 * Modes: at-least-once (the default), eo-redis, eo-inbox, eo-transactions (Kafka only); `all` runs
 * each one the broker supports. Exits non-zero if any published message was lost, or an eo-inbox
 * or eo-transactions run had a duplicate effect.
 */
import { parseArgs } from 'node:util';
import { provisionBrokers, provisionStores } from '../harness/index.ts';
import { FULL, MODES, REDUCED, type BrokerKind, type Mode, type Plan } from './plan.ts';
import { describeLoss, formatRecoveries, formatTable } from './report.ts';
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
const modes = (values.mode === 'all' ? [...MODES] : String(values.mode).split(',')) as Mode[];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}: use ${MODES.join(', ')} or all`);
/** Modes whose effects are committed with the message's outcome: one effect per message, whatever the faults. */
const atomic = (m: Mode) => m === 'eo-inbox' || m === 'eo-transactions';
const base = values.reduced ? REDUCED : FULL;
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

// The harness finds or starts the brokers, as for the tests (RabbitMQ is the test run's; Kafka and
// ElasticMQ runs get instances of their own, see brokers.ts).
const { endpoints } = await provisionBrokers(brokers.filter((b) => b === 'rabbitmq'));
// Redis and PostgreSQL (FERRY_REDIS_URL / FERRY_POSTGRES_URL or the machine's) for eo-redis and eo-inbox.
if (modes.some((m) => m === 'eo-redis' || m === 'eo-inbox')) await provisionStores();
const results: Result[] = [];
for (const broker of brokers) {
  for (const mode of modes) {
    if (mode === 'eo-transactions' && broker !== 'kafka') {
      console.log(`[faults] ${broker}: eo-transactions is Kafka's (skipped)`);
      continue;
    }
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
    if (result.lost > 0) console.log(`[faults] ${broker} ${mode} lost: ${describeLoss(result)}\n${result.stderrTail.join('\n')}`);
    if (result.duplicatedIds > 0) console.log(`[faults] ${broker} ${mode}: ${result.duplicatedIds} ids with more than one effect, e.g. ${result.duplicateSample.join(', ')}`);
    console.log(`[faults] ${formatTable([result]).split('\n').at(-1)}\n${formatRecoveries(result)}`);
  }
}
console.log(`\n${formatTable(results)}`);
for (const b of brokers) if (b !== 'rabbitmq') await faultBroker('stop', b);
process.exit(results.some((r) => r.lost > 0 || !r.complete || (atomic(r.mode) && r.duplicateEffects > 0)) ? 1 : 0);
