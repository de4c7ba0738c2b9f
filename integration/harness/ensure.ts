/**
 * Picks and readies each broker: (a) the FERRY_* env endpoint as it is; (b) else containers when
 * a container runtime answers; (c) else local processes on 127.0.0.1 (see docs/testing.md).
 */
import { READY_DEADLINE_MS, sourcePreference } from './config.ts';
import { containerRuntimeAvailable, startContainers } from './containers.ts';
import { elasticmqLocal, SQS_LOCAL_ENDPOINT } from './elasticmq-local.ts';
import { amqpFromEnv, ENV, kafkaFromEnv, redactUrl, sqsFromEnv } from './env.ts';
import { KAFKA_ENDPOINT, kafkaLocal } from './kafka-local.ts';
import { withKafkaVersion } from './kafka-version.ts';
import { ensureLocalJavaBroker } from './local-java.ts';
import { log } from './log.ts';
import { probeAmqp, probeKafka, probeSqs } from './probes.ts';
import { ensureLocalRabbitmq, RABBITMQ_LOCAL_ENDPOINT } from './rabbitmq-local.ts';
import { ALL_BROKERS, type BrokerEndpoints, type BrokerName, type BrokerReport, type ProvisionResult } from './types.ts';
import { waitUntilReady } from './wait.ts';

export type Provisioned = ProvisionResult & {
  /** Stops what this call started and does not outlive it (containers); local processes stay. */
  stop: () => Promise<void>;
};

/** Endpoints given by env vars, per broker (only those set). */
function envEndpoints(): Partial<BrokerEndpoints> {
  const kafka = kafkaFromEnv();
  const amqp = amqpFromEnv();
  const sqs = sqsFromEnv();
  return { ...(kafka && { kafka }), ...(amqp && { amqp }), ...(sqs && { sqs }) };
}

const ENV_VAR: Record<BrokerName, string> = { kafka: ENV.kafka, rabbitmq: ENV.amqp, sqs: ENV.sqsEndpoint };

/** Waits for a broker given by an env var to answer (it is not started, only checked). */
async function checkEnvBroker(broker: BrokerName, endpoints: Partial<BrokerEndpoints>): Promise<BrokerReport> {
  const t0 = performance.now();
  const [address, probe] =
    broker === 'kafka'
      ? [endpoints.kafka!.brokers.join(','), () => probeKafka(endpoints.kafka!)]
      : broker === 'rabbitmq'
        ? [redactUrl(endpoints.amqp!.url), () => probeAmqp(endpoints.amqp!)]
        : [endpoints.sqs!.endpoint, () => probeSqs(endpoints.sqs!)];
  await waitUntilReady({ what: `${broker} from ${ENV_VAR[broker]} (${address})`, probe, deadlineMs: READY_DEADLINE_MS });
  return { broker, source: 'env', address, provisionMs: 0, startMs: Math.round(performance.now() - t0) };
}

const hasEndpoint = (broker: BrokerName, endpoints: Partial<BrokerEndpoints>) =>
  broker === 'kafka' ? !!endpoints.kafka : broker === 'rabbitmq' ? !!endpoints.amqp : !!endpoints.sqs;

/** The brokers of `which` that no env var points at (the ones the harness must start). */
export function brokersToStart(which: readonly BrokerName[] = ALL_BROKERS): BrokerName[] {
  const fromEnv = envEndpoints();
  return which.filter((b) => !hasEndpoint(b, fromEnv));
}

/** Which way the brokers not given by env vars are obtained. */
export async function useContainers(): Promise<boolean> {
  const preference = sourcePreference();
  if (preference === 'local') return false;
  const available = await containerRuntimeAvailable();
  if (preference === 'containers' && !available) {
    throw new Error('FERRY_BROKERS_SOURCE=containers, but testcontainers finds no container runtime');
  }
  return available;
}

/** Like ensureBrokers, with per-broker reports (source, timings) and a stop function. */
export async function provisionBrokers(which: readonly BrokerName[] = ALL_BROKERS): Promise<Provisioned> {
  const fromEnv = envEndpoints();
  const rest = brokersToStart(which);
  const envBrokers = which.filter((b) => !rest.includes(b));

  const endpoints: BrokerEndpoints = {
    kafka: fromEnv.kafka ?? KAFKA_ENDPOINT,
    amqp: fromEnv.amqp ?? RABBITMQ_LOCAL_ENDPOINT,
    sqs: fromEnv.sqs ?? SQS_LOCAL_ENDPOINT,
  };
  let stop = async () => {};
  const envChecks = Promise.all(envBrokers.map((b) => checkEnvBroker(b, fromEnv)));
  envChecks.catch(() => undefined); // awaited below; no unhandled rejection meanwhile

  let restReports: BrokerReport[] = [];
  if (rest.length > 0 && (await useContainers())) {
    log(`container runtime found: starting ${rest.join(', ')} with testcontainers`);
    const containers = await startContainers(rest);
    Object.assign(endpoints, containers.endpoints);
    restReports = containers.reports;
    stop = containers.stop;
  } else if (rest.length > 0) {
    // Local processes, started side by side (jar downloads are serialized in maven.ts).
    const local: Record<BrokerName, () => Promise<BrokerReport>> = {
      kafka: () => ensureLocalJavaBroker(kafkaLocal),
      rabbitmq: ensureLocalRabbitmq,
      sqs: () => ensureLocalJavaBroker(elasticmqLocal),
    };
    const settled = await Promise.allSettled(rest.map((b) => local[b]()));
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length > 0) throw new BrokerStartError(failures.map((f) => f.reason));
    restReports = settled.map((s) => (s as PromiseFulfilledResult<BrokerReport>).value);
  }

  let envReports: BrokerReport[];
  try {
    envReports = await envChecks;
  } catch (error) {
    await stop();
    throw error;
  }
  const reports = await Promise.all(
    [...envReports, ...restReports]
      .sort((a, b) => which.indexOf(a.broker) - which.indexOf(b.broker))
      .map((r) => (r.broker === 'kafka' ? withKafkaVersion(r, log) : r)),
  );
  return { endpoints, reports, stop };
}

/** Several brokers failed: one error whose message carries each (with its log tail). */
class BrokerStartError extends Error {
  constructor(errors: unknown[]) {
    super(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n\n'));
    this.name = 'BrokerStartError';
  }
}

/**
 * Makes the brokers answer and returns where they are. `which` defaults to all three; the
 * endpoints of brokers not asked for are still filled in (from env or the local defaults) but
 * are not checked. Local processes are left running for the next run (`pnpm brokers stop`).
 */
export async function ensureBrokers(which?: BrokerName[]): Promise<BrokerEndpoints> {
  return (await provisionBrokers(which)).endpoints;
}
