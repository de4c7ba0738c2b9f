/**
 * `pnpm brokers [start|stop|status] [kafka|rabbitmq|sqs ...]`
 *   start   (default) make the brokers answer, and Redis and PostgreSQL; prints FERRY_* lines on
 *           stdout (eval-able), each one's source and start time on stderr, and on stderr too a
 *           ready-to-use FERRY_URL line per broker (for `pnpm demo`, the `ferry` CLI, an application)
 *   stop    stop the Kafka and ElasticMQ processes this checkout's harness started (RabbitMQ is
 *           the machine's service and is left running)
 *   stores  only make Redis and PostgreSQL answer (started if down); prints FERRY_REDIS_URL and FERRY_POSTGRES_URL
 *   kill    SIGKILL those processes (a crash: the fault suite then starts them again on their data)
 *   status  what answers where
 *   kafka-version  which Kafka version answers where the tests would look (FERRY_KAFKA_BROKERS or
 *           the harness's port) against the one asked for; exit 1 if another version answers
 */
// The SDK's notice that its 2027 releases need Node 22 (pinned versions are unaffected; see docs/testing.md).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { pullImages } from './containers.ts';
import { KAFKA_VERSION } from './config.ts';
import { brokersToStart, provisionBrokers, useContainers } from './ensure.ts';
import { endpointsToEnv, kafkaFromEnv } from './env.ts';
import { ferryUrlLine, ferryUrls } from './ferry-urls.ts';
import { KAFKA_ENDPOINT } from './kafka-local.ts';
import { detectKafkaVersion, sameVersion } from './kafka-version.ts';
import { answers, probeKafka } from './probes.ts';
import { brokerStatus, killLocalBrokers, stopLocalBrokers } from './local-control.ts';
import { formatMs, log, timed } from './log.ts';
import { formatReports } from './report.ts';
import { formatStoreReports, provisionStores, storesToEnv } from './stores.ts';
import { ALL_BROKERS, isBrokerName, type BrokerName } from './types.ts';

async function start(which: BrokerName[]): Promise<void> {
  const toStart = brokersToStart(which);
  if (toStart.length > 0 && (await useContainers())) {
    // Containers live only as long as the process that started them: the test run's
    // globalSetup starts them. Here, only fetch the images so that start is quick.
    const { ms } = await timed(() => pullImages(toStart));
    log(`container runtime found: images pulled in ${formatMs(ms)}; the test run starts the containers`);
    return;
  }
  const { value, ms } = await timed(() => provisionBrokers(which));
  const env = endpointsToEnv(value.endpoints);
  for (const [key, val] of Object.entries(env)) process.stdout.write(`${key}=${val}\n`);
  log(`ready in ${formatMs(ms)}:\n${formatReports(value.reports)}`);
  // On stderr: stdout stays eval-able (several FERRY_URL= lines would overwrite each other there).
  const urls = ferryUrls(value.endpoints);
  process.stderr.write(`\nPoint the demo, the ferry CLI or an application at one of them:\n${which.map((b) => `  ${ferryUrlLine(urls[b])}`).join('\n')}\n\n`);
  await startStores();
}

/** The shared idempotency stores (Redis, PostgreSQL) the exactly-once tests use, and the unit tests of @ferry/redis and @ferry/postgres. */
async function startStores(): Promise<void> {
  const stores = await timed(() => provisionStores());
  for (const [key, val] of Object.entries(storesToEnv(stores.value.endpoints))) process.stdout.write(`${key}=${val}\n`);
  log(`stores ready in ${formatMs(stores.ms)}:\n${formatStoreReports(stores.value.reports)}`);
}

async function status(): Promise<boolean> {
  const rows = await brokerStatus();
  for (const r of rows) {
    const pid = r.pid !== undefined ? ` (pid ${r.pid})` : '';
    const version = r.version ? ` Kafka ${r.version}` : '';
    process.stdout.write(`${r.broker.padEnd(8)} ${r.address.padEnd(34)} ${r.source.padEnd(5)} ${r.answering ? 'answering' : 'DOWN'}${version}${pid}\n`);
  }
  return rows.every((r) => r.answering);
}

/** True unless a Kafka of another version than the one asked for answers. */
async function kafkaVersion(): Promise<boolean> {
  const endpoint = kafkaFromEnv() ?? KAFKA_ENDPOINT;
  const address = endpoint.brokers[0]!;
  if (!(await answers(() => probeKafka(endpoint)))) {
    process.stdout.write(`kafka ${address}: nothing answers; ${KAFKA_VERSION} asked for\n`);
    return true;
  }
  const found = (await detectKafkaVersion(address))?.version;
  process.stdout.write(`kafka ${address}: Kafka ${found ?? '(version unknown)'} answers; ${KAFKA_VERSION} asked for\n`);
  return found === undefined || sameVersion(found, KAFKA_VERSION);
}

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  const which = rest.filter(isBrokerName);
  const unknown = rest.filter((a) => !isBrokerName(a));
  if (unknown.length > 0) throw new Error(`unknown broker(s): ${unknown.join(', ')} (use ${ALL_BROKERS.join(', ')})`);
  switch (command) {
    case 'start':
      await start(which.length > 0 ? which : [...ALL_BROKERS]);
      return 0;
    case 'stop': {
      const stopped = await stopLocalBrokers(which.length > 0 ? which : ALL_BROKERS);
      log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'no harness-started broker was running');
      return 0;
    }
    case 'stores':
      await startStores();
      return 0;
    case 'kill': {
      const killed = await killLocalBrokers(which.length > 0 ? which : ALL_BROKERS);
      log(killed.length > 0 ? `killed ${killed.join(', ')}` : 'no harness-started broker was running');
      return 0;
    }
    case 'status':
      return (await status()) ? 0 : 1;
    case 'kafka-version':
      return (await kafkaVersion()) ? 0 : 1;
    default:
      throw new Error(`unknown command "${command}" (use start, stores, stop, kill, status or kafka-version)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[brokers] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
