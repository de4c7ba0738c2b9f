/** The brokers a fault run can target: how clients reach them through the proxy, and how each restarts. */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import type { BrokerEndpoints } from '../harness/index.ts';
import { FAULT_ELASTICMQ_PORT, FAULT_KAFKA_PORT, faultBroker } from './brokers.ts';
import type { BrokerKind } from './plan.ts';
import type { Endpoint, Target } from './scenario.ts';

const run = promisify(execFile);

/** Resolves once `address` accepts a TCP connection (the broker may still be starting its app). */
async function waitForPort(address: Endpoint, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(address.port, address.host);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${address.host}:${address.port} did not answer within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Kafka and SQS runs use the fault suite's own broker (brokers.ts: started here, restarted by kill
 * -9); RabbitMQ runs use the test run's broker (the machine's service; its app is restarted).
 */
export async function target(kind: BrokerKind, endpoints: BrokerEndpoints): Promise<Target> {
  if (kind !== 'rabbitmq') await faultBroker('start', kind);
  switch (kind) {
    case 'kafka': {
      const broker = { host: '127.0.0.1', port: FAULT_KAFKA_PORT };
      return {
        kind,
        brokerAddress: broker,
        client: (proxy) => ({
          url: `kafka://${proxy.host}:${proxy.port}`,
          transport: {
            // Every connection, not only the bootstrap one, through the proxy.
            addressMap: { [`${broker.host}:${broker.port}`]: `${proxy.host}:${proxy.port}` },
            partitions: 8,
            consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
            logLevel: 'nothing',
          },
        }),
        restart: async () => {
          await faultBroker('kill', 'kafka');
          await faultBroker('start', 'kafka');
        },
      };
    }
    case 'rabbitmq': {
      const url = new URL(endpoints.amqp.url);
      const broker = { host: url.hostname, port: Number(url.port || 5672) };
      return {
        kind,
        brokerAddress: broker,
        client: (proxy) => {
          const via = new URL(url);
          via.hostname = proxy.host;
          via.port = String(proxy.port);
          return { url: via.toString(), transport: {} };
        },
        restart: async () => {
          // The machine's broker: the app stops (every connection dropped, durable queues kept) and starts again.
          await run('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
          await run('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
          await waitForPort(broker, 60_000);
        },
      };
    }
    case 'sqs': {
      const endpoint = new URL(`http://127.0.0.1:${FAULT_ELASTICMQ_PORT}`);
      const broker = { host: endpoint.hostname, port: FAULT_ELASTICMQ_PORT };
      return {
        kind,
        brokerAddress: broker,
        client: (proxy) => ({
          url: `sqs://ferry:ferry@${endpoints.sqs.region}?endpoint=${encodeURIComponent(`${endpoint.protocol}//${proxy.host}:${proxy.port}`)}`,
          // Short polls and visibility: a message a cut poll took comes back in seconds.
          transport: { visibilityTimeoutSeconds: 10, waitTimeSeconds: 1 },
        }),
        restart: async () => {
          await faultBroker('kill', 'sqs');
          await faultBroker('start', 'sqs');
        },
        // ElasticMQ answers before its restore is done (integration/harness/elasticmq-local.ts).
        holdClientsWhileRestarting: true,
      };
    }
  }
}
