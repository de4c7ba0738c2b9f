/**
 * Ferry's conformance suite on the real Kafka broker of the harness. The fault case goes through
 * a TCP proxy: `addressMap` points the broker's advertised address at the proxy, so every
 * connection (not only the bootstrap one) can be cut.
 */
import { runConformanceSuite } from '@ferry/testkit';
import { afterAll } from 'vitest';
import { conformanceStores } from '../exactly-once/stores.ts';
import { brokers, kafka } from './helpers.ts';

const stores = conformanceStores();
afterAll(() => stores.cleanup());

const [host, port] = brokers()[0]!.split(':') as [string, string];

runConformanceSuite({
  name: 'kafka',
  createTransport: () => kafka(),
  stores: stores.stores,
  // Group joins and rebalances take a few hundred milliseconds each.
  timeoutScale: 3,
  connectionFault: {
    brokerAddress: { host, port: Number(port) },
    createTransportVia: (proxy) => kafka({ addressMap: { [`${host}:${port}`]: `${proxy.host}:${proxy.port}` } }, new URL(`kafka://${proxy.host}:${proxy.port}`)),
  },
});
