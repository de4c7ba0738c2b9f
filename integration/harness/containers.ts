/**
 * The testcontainers path, used when a container runtime answers. Containers belong to the
 * process that started them (testcontainers' reaper removes them when it exits), so this path
 * starts them in the test run's globalSetup and stops them in its teardown.
 * testcontainers is imported lazily: the env and local paths never load it.
 */
import type { StartedTestContainer } from 'testcontainers';
import { CONTAINER_PROBE_TIMEOUT_MS, ELASTICMQ_PORT, IMAGES, KAFKA_HEAP, KAFKA_VERSION, READY_DEADLINE_MS, SQS_DEFAULT_REGION } from './config.ts';
import { elasticmqConf } from './elasticmq-local.ts';
import { redactUrl, sqsEndpoint } from './env.ts';
import { newClusterId } from './kafka-local.ts';
import { warmUpKafka } from './kafka-warmup.ts';
import { log } from './log.ts';
import { probeAmqp, probeKafka, probeSqs, withTimeout } from './probes.ts';
import { CONSISTENT_HASH_PLUGIN, ensureConsistentHashPlugin } from './rabbitmq-plugin.ts';
import type { BrokerEndpoints, BrokerName, BrokerReport } from './types.ts';
import { waitUntilReady } from './wait.ts';

/** apache/kafka listeners: PLAINTEXT for the host (mapped), BROKER between brokers, CONTROLLER for KRaft. */
const KAFKA_CONTAINER_PORT = 9092;
const KAFKA_CONTAINER_BROKER_PORT = 9093;
const KAFKA_CONTAINER_CONTROLLER_PORT = 9094;
const KAFKA_START_SCRIPT = '/tmp/ferry-kafka-start.sh';
const KAFKA_WAITING = 'ferry: waiting for the start script';

/**
 * The image's server.properties from env vars (`KAFKA_<NAME>`, dots as `_`): a one-node KRaft
 * broker+controller with the same settings as the local process (kafka-local.ts).
 */
function apacheKafkaEnvironment(): Record<string, string> {
  const [major, minor] = KAFKA_VERSION.split('.').map(Number) as [number, number];
  return {
    CLUSTER_ID: newClusterId(), // a fresh container formats fresh storage
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_CONTAINER_PORT},BROKER://0.0.0.0:${KAFKA_CONTAINER_BROKER_PORT},CONTROLLER://0.0.0.0:${KAFKA_CONTAINER_CONTROLLER_PORT}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${KAFKA_CONTAINER_CONTROLLER_PORT}`,
    // One node: internal topics with replication factor 1, or consumer groups and transactions hang.
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    KAFKA_NUM_PARTITIONS: '1',
    KAFKA_HEAP_OPTS: `${KAFKA_HEAP} -Xms128m`,
    // As kafka-local.ts: 4.0 and 4.1 linger 5 ms before writing offset commits; 4.2+ adapt.
    ...(major === 4 && minor < 2 && { KAFKA_GROUP_COORDINATOR_APPEND_LINGER_MS: '0' }),
  };
}

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
      // Apache's image (apache/kafka:<FERRY_KAFKA_VERSION>); @testcontainers/kafka 11 drives only
      // Confluent's images. The advertised address must carry the mapped port, known only once
      // the container runs: it waits for a start script that is copied in after start.
      const kafkaAddress = (c: StartedTestContainer) => `${c.getHost()}:${c.getMappedPort(KAFKA_CONTAINER_PORT)}`;
      const { container, report } = await timedStart(
        'kafka',
        async () => {
          const c = await new GenericContainer(IMAGES.kafka)
            .withExposedPorts(KAFKA_CONTAINER_PORT)
            .withEnvironment(apacheKafkaEnvironment())
            .withCommand(['sh', '-c', `echo '${KAFKA_WAITING}'; while [ ! -f ${KAFKA_START_SCRIPT} ]; do sleep 0.1; done; exec sh ${KAFKA_START_SCRIPT}`])
            .withWaitStrategy(Wait.forLogMessage(KAFKA_WAITING))
            .withStartupTimeout(120_000)
            .start();
          const advertised = `PLAINTEXT://${kafkaAddress(c)},BROKER://localhost:${KAFKA_CONTAINER_BROKER_PORT}`;
          await c.copyContentToContainer([
            {
              content: `export KAFKA_ADVERTISED_LISTENERS='${advertised}'\nexec /etc/kafka/docker/run\n`,
              target: KAFKA_START_SCRIPT,
              mode: 0o755,
            },
          ]);
          return c;
        },
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
