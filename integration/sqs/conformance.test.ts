/**
 * Ferry's conformance suite on a real SQS-compatible server (ElasticMQ from the harness), three times:
 *   - `sqs`: standard queues (the default); only the per-key-order cases' topics are FIFO.
 *   - `sqs-body`: the same with the envelope in the message body (`envelope: 'body'`).
 *   - `sqs-fifo`: every case on FIFO queues, except `delay` (SQS refuses per-message delay on FIFO
 *     queues, so that case keeps a standard queue; the refusal is tested in features.test.ts).
 * Whether a topic is FIFO is decided by name (`fifoTopics`), so the case prefixes select it.
 */
import { afterAll } from 'vitest';
import { caseGroups, runConformanceSuite, type SuiteInfo } from '@ferry/testkit';
import type { SqsOptions } from '@ferry/sqs';
import { conformanceStores } from '../exactly-once/stores.ts';
import { cleanup, sqs, sqsEndpoint } from './helpers.ts';

// A 10 s visibility timeout (the heartbeat keeps slow handlers' messages hidden): messages a long
// poll took just as the fault proxy cut its connection come back after one timeout, not 30 s.
const common: SqsOptions = { visibilityTimeoutSeconds: 10 };

/** Topic prefixes of every case of the suite named `name` but `except` (topics are `conf-<name>-<case id, 20 chars>-...`). */
function casePrefixes(name: string, except: readonly string[]): string[] {
  const probe = sqs({ ...common, fifoTopics: ['*'] });
  const info: SuiteInfo = { options: { name, createTransport: () => probe }, transportName: probe.name, capabilities: probe.capabilities, scale: 1 };
  void probe.close();
  const ids = caseGroups.flatMap((group) => group(info).cases.map((c) => c.id));
  return ids.filter((id) => !except.includes(id)).map((id) => `conf-${name}-${id.slice(0, 20)}-*`);
}

const suites: Array<{ name: string; options: SqsOptions }> = [
  // Per-key order holds on FIFO queues only: the cases that assert it get FIFO topics here too.
  { name: 'sqs', options: { ...common, fifoTopics: ['conf-sqs-per-key-order-*', 'conf-sqs-batch-order-*'] } },
  { name: 'sqs-fifo', options: { ...common, fifoTopics: casePrefixes('sqs-fifo', ['delay']) } },
  // The envelope in the body instead of the `ferry` attribute (`envelope: 'body'`), standard queues.
  { name: 'sqs-body', options: { ...common, envelope: 'body', fifoTopics: ['conf-sqs-body-per-key-order-*', 'conf-sqs-body-batch-order-*'] } },
];

const stores = conformanceStores();
afterAll(() => Promise.all([cleanup('conf-sqs-'), stores.cleanup()]));

const broker = new URL(sqsEndpoint().endpoint);

for (const { name, options } of suites) {
  runConformanceSuite({
    name,
    createTransport: () => sqs(options),
    stores: stores.stores,
    connectionFault: {
      brokerAddress: { host: broker.hostname, port: Number(broker.port || 80) },
      createTransportVia: (proxy) => sqs(options, `${broker.protocol}//${proxy.host}:${proxy.port}`),
    },
  });
}
