/** `pnpm brokers status` / `stop`: what answers where, and stopping the processes the harness started. */
import { elasticmqLocal, SQS_LOCAL_ENDPOINT } from './elasticmq-local.ts';
import { amqpFromEnv, kafkaFromEnv, redactUrl, sqsFromEnv } from './env.ts';
import { KAFKA_PORT } from './config.ts';
import { KAFKA_ENDPOINT, kafkaLocal, LEGACY_KAFKA_DIR } from './kafka-local.ts';
import { detectKafkaVersion } from './kafka-version.ts';
import { pidFileOf, type LocalJavaBroker } from './local-java.ts';
import { isProcessAlive, runningPid, stopPid } from './process.ts';
import { answers, probeAmqp, probeKafka, probeSqs } from './probes.ts';
import { RABBITMQ_LOCAL_ENDPOINT } from './rabbitmq-local.ts';
import { ALL_BROKERS, type BrokerName } from './types.ts';

export interface BrokerStatus {
  broker: BrokerName;
  /** `env` when a FERRY_* variable points at it, else the local address. */
  source: 'env' | 'local';
  address: string;
  answering: boolean;
  /** Pid of the local process the harness started (Kafka, ElasticMQ), if running. */
  pid?: number;
  /** Kafka: the version answering (exact, or the line its protocol tells). */
  version?: string;
}

const LOCAL_JAVA: Partial<Record<BrokerName, LocalJavaBroker>> = { kafka: kafkaLocal, sqs: elasticmqLocal };

export async function brokerStatus(): Promise<BrokerStatus[]> {
  const kafka = kafkaFromEnv();
  const amqp = amqpFromEnv();
  const sqs = sqsFromEnv();
  const rows: Array<Omit<BrokerStatus, 'answering' | 'pid' | 'version'> & { probe: () => Promise<void> }> = [
    { broker: 'kafka', source: kafka ? 'env' : 'local', address: (kafka ?? KAFKA_ENDPOINT).brokers.join(','), probe: () => probeKafka(kafka ?? KAFKA_ENDPOINT) },
    { broker: 'rabbitmq', source: amqp ? 'env' : 'local', address: redactUrl((amqp ?? RABBITMQ_LOCAL_ENDPOINT).url), probe: () => probeAmqp(amqp ?? RABBITMQ_LOCAL_ENDPOINT) },
    { broker: 'sqs', source: sqs ? 'env' : 'local', address: (sqs ?? SQS_LOCAL_ENDPOINT).endpoint, probe: () => probeSqs(sqs ?? SQS_LOCAL_ENDPOINT) },
  ];
  return Promise.all(
    rows.map(async ({ probe, ...row }) => {
      const local = LOCAL_JAVA[row.broker];
      const pid = local ? runningPid(pidFileOf(local), local.mainClass) : undefined;
      const answering = await answers(probe);
      const version = row.broker === 'kafka' && answering ? (await detectKafkaVersion(row.address.split(',')[0]!))?.version : undefined;
      return { ...row, answering, ...(pid !== undefined && { pid }), ...(version && { version }) };
    }),
  );
}

/**
 * Stops the Kafka and ElasticMQ processes the harness started (found by their pid files).
 * The machine's RabbitMQ is a shared service and is left alone. Returns what was stopped.
 */
export async function stopLocalBrokers(which: readonly BrokerName[] = ALL_BROKERS): Promise<BrokerName[]> {
  const stopped: BrokerName[] = [];
  await Promise.all(
    which.map(async (broker) => {
      const b = LOCAL_JAVA[broker];
      if (b && (await stopPid(pidFileOf(b), b.mainClass))) stopped.push(broker);
      // The harness before versioned folders kept one Kafka (on 9092) in .brokers/kafka itself.
      if (broker === 'kafka' && KAFKA_PORT === 9092 && (await stopPid(pidFileOf({ dir: LEGACY_KAFKA_DIR }), kafkaLocal.mainClass))) {
        if (!stopped.includes('kafka')) stopped.push('kafka');
      }
    }),
  );
  return stopped;
}

/**
 * SIGKILLs the Kafka or ElasticMQ process the harness started (no shutdown: a crash, for the fault
 * suite) and waits until it is gone. Data stays, so `start` brings it back on the same data.
 */
export async function killLocalBrokers(which: readonly BrokerName[]): Promise<BrokerName[]> {
  const killed: BrokerName[] = [];
  for (const broker of which) {
    const b = LOCAL_JAVA[broker];
    const pid = b ? runningPid(pidFileOf(b), b.mainClass) : undefined;
    if (pid === undefined) continue;
    process.kill(pid, 'SIGKILL');
    while (isProcessAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
    killed.push(broker);
  }
  return killed;
}
