/**
 * The testcontainers path, used when a container runtime answers. Containers belong to the
 * process that started them (testcontainers' reaper removes them when it exits), so this path
 * starts them in the test run's globalSetup and stops them in its teardown.
 * testcontainers is imported lazily: the env and local paths never load it.
 */
import { CONTAINER_PROBE_TIMEOUT_MS, ELASTICMQ_PORT, IMAGES, READY_DEADLINE_MS, SQS_DEFAULT_REGION } from './config.ts';
import { elasticmqConf } from './elasticmq-local.ts';
import { redactUrl, sqsEndpoint } from './env.ts';
import { warmUpKafka } from './kafka-warmup.ts';
import { log } from './log.ts';
import { probeAmqp, probeKafka, probeSqs, withTimeout } from './probes.ts';
import { CONSISTENT_HASH_PLUGIN, ensureConsistentHashPlugin } from './rabbitmq-plugin.ts';
import type { BrokerEndpoints, BrokerName, BrokerReport } from './types.ts';
import { waitUntilReady } from './wait.ts';

/** True if testcontainers finds a working container runtime within a few seconds. */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), CONTAINER_PROBE_TIMEOUT_MS, 'container runtime probe');
    return true;
  } catch {
    return false;
  }
}

/** Pulls the images ahead of a test run (what `pnpm brokers start` does when containers are used). */
export async function pullImages(which: readonly BrokerName[]): Promise<void> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  for (const broker of which) {
    const image = IMAGES[broker];
    log(`pulling ${image}`);
    await client.image.pull(ImageName.fromString(image));
  }
}

export interface StartedContainers {
  endpoints: Partial<BrokerEndpoints>;
  reports: BrokerReport[];
  stop: () => Promise<void>;
}

interface Stoppable {
  stop(): Promise<unknown>;
}

async function timedStart<C extends Stoppable>(
  broker: BrokerName,
  start: () => Promise<C>,
  address: (c: C) => string,
  probe: (c: C) => Promise<void>,
): Promise<{ container: C; report: BrokerReport }> {
  const t0 = performance.now();
  const container = await start();
  // One real request, as on the other paths: wait strategies may fire before the broker serves.
  await waitUntilReady({ what: `${broker} container`, probe: () => probe(container), deadlineMs: READY_DEADLINE_MS });
  const report: BrokerReport = {
    broker,
    source: 'container',
    address: address(container),
    provisionMs: 0,
    startMs: Math.round(performance.now() - t0),
  };
  log(`${broker}: container ${IMAGES[broker]} answering on ${report.address}`);
  return { container, report };
}

export async function startContainers(which: readonly BrokerName[]): Promise<StartedContainers> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const endpoints: Partial<BrokerEndpoints> = {};
  const reports: BrokerReport[] = [];
  const started: Stoppable[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((c) => c.stop()));
  };

  try {
    if (which.includes('kafka')) {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      const kafkaAddress = (c: Awaited<ReturnType<InstanceType<typeof KafkaContainer>['start']>>) =>
        `${c.getHost()}:${c.getMappedPort(9093)}`; // the module's PLAINTEXT listener for the host
      const { container, report } = await timedStart(
        'kafka',
        () =>
          new KafkaContainer(IMAGES.kafka)
            .withKraft()
            // The module sets only the min ISR: one node also needs factor-1 transaction state.
            .withEnvironment({
              KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
              KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '1',
              KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
            })
            .start(),
        kafkaAddress,
        (c) => probeKafka({ brokers: [kafkaAddress(c)] }),
      );
      await warmUpKafka({ brokers: [report.address] });
      started.push(container);
      reports.push(report);
      endpoints.kafka = { brokers: [report.address] };
    }

    if (which.includes('rabbitmq')) {
      const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
      // The official image lets guest connect from outside the container.
      const amqpUrl = (c: Awaited<ReturnType<InstanceType<typeof RabbitMQContainer>['start']>>) =>
        `amqp://guest:guest@${c.getHost()}:${c.getMappedPort(5672)}`;
      const { container, report } = await timedStart(
        'rabbitmq',
        () => new RabbitMQContainer(IMAGES.rabbitmq).withStartupTimeout(120_000).start(),
        (c) => redactUrl(amqpUrl(c)),
        (c) => probeAmqp({ url: amqpUrl(c) }),
      );
      started.push(container);
      reports.push(report);
      endpoints.amqp = { url: amqpUrl(container) };
      await ensureConsistentHashPlugin(endpoints.amqp.url, async () => {
        const result = await container.exec(['rabbitmq-plugins', 'enable', CONSISTENT_HASH_PLUGIN]);
        return result.exitCode;
      });
    }

    if (which.includes('sqs')) {
      const sqsUrl = (c: Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>) =>
        `http://${c.getHost()}:${c.getMappedPort(ELASTICMQ_PORT)}`;
      const { container, report } = await timedStart(
        'sqs',
        () =>
          new GenericContainer(IMAGES.sqs)
            .withExposedPorts(ELASTICMQ_PORT)
            .withCopyContentToContainer([
              {
                // host "*": QueueUrls echo the Host header, i.e. the mapped host:port the tests use.
                content: elasticmqConf({ nodeHost: '*', bindHost: '0.0.0.0', port: ELASTICMQ_PORT }),
                target: '/opt/elasticmq.conf',
              },
            ])
            .withWaitStrategy(Wait.forListeningPorts())
            .withStartupTimeout(120_000)
            .start(),
        sqsUrl,
        (c) => probeSqs(sqsEndpoint(sqsUrl(c), { region: SQS_DEFAULT_REGION })),
      );
      started.push(container);
      reports.push(report);
      endpoints.sqs = sqsEndpoint(report.address);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoints, reports, stop };
}
