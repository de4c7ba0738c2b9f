/**
 * Ferry's conformance suite on a real SQS-compatible server (ElasticMQ from the harness). The
 * per-key-order case's topics are FIFO queues (`fifoTopics`); every other case runs on standard
 * queues, the default.
 */
import { afterAll } from 'vitest';
import { runConformanceSuite } from '@ferry/testkit';
import { cleanup, sqs, sqsEndpoint } from './helpers.ts';

// A 10 s visibility timeout (the heartbeat keeps slow handlers' messages hidden): messages a long poll
// took just as the fault proxy cut its connection come back after one timeout, not 30 s.
const options = { fifoTopics: ['conf-sqs-per-key-order-*'], visibilityTimeoutSeconds: 10 };

afterAll(() => cleanup('conf-sqs-'));

const broker = new URL(sqsEndpoint().endpoint);

runConformanceSuite({
  name: 'sqs',
  createTransport: () => sqs(options),
  connectionFault: {
    brokerAddress: { host: broker.hostname, port: Number(broker.port || 80) },
    createTransportVia: (proxy) => {
      const via = new URL(sqsEndpoint().endpoint);
      via.hostname = proxy.host;
      via.port = String(proxy.port);
      return sqs(options, via.origin);
    },
  },
});
