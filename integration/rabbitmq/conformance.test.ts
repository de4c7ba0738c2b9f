/**
 * Ferry's conformance suite on the real RabbitMQ. Priority and replay are configured for the
 * topics of their cases (`conf-rabbitmq-priority-*`, `conf-rabbitmq-replay-*`) so that every
 * other case runs on the default topology (quorum group queues, no stream).
 */
import { afterAll } from 'vitest';
import { runConformanceSuite } from '@ferry/testkit';
import { conformanceStores } from '../exactly-once/stores.ts';
import { amqpUrl, cleanup, rabbit } from './helpers.ts';

const options = {
  priorityTopics: ['conf-rabbitmq-priority-*'],
  streamTopics: ['conf-rabbitmq-replay-*'],
  reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 },
};

const stores = conformanceStores();
afterAll(() => Promise.all([cleanup('conf-rabbitmq-'), stores.cleanup()]));

const broker = new URL(amqpUrl());

runConformanceSuite({
  name: 'rabbitmq',
  createTransport: () => rabbit(options),
  stores: stores.stores,
  connectionFault: {
    brokerAddress: { host: broker.hostname, port: Number(broker.port || 5672) },
    createTransportVia: (proxy) => {
      const via = new URL(amqpUrl());
      via.hostname = proxy.host;
      via.port = String(proxy.port);
      return rabbit(options, via.toString());
    },
  },
});
