/**
 * The conformance suite on the real Kafka broker with the second driver (@platformatic/kafka).
 * No connection-fault case: that one reroutes connections through a proxy with `addressMap`,
 * which this driver refuses (the client has no socket factory).
 */
import { runConformanceSuite } from '@ferry/testkit';
import { afterAll } from 'vitest';
import { conformanceStores } from '../exactly-once/stores.ts';
import { kafka } from './helpers.ts';

const stores = conformanceStores();
afterAll(() => stores.cleanup());

runConformanceSuite({
  name: 'kafka (platformatic driver)',
  createTransport: () => kafka({ driver: 'platformatic' }),
  stores: stores.stores,
  timeoutScale: 3,
});
