/**
 * vitest globalSetup of the `integration` project: makes the brokers (and Redis and PostgreSQL)
 * answer, then publishes their endpoints as FERRY_* env vars (test workers are forked after this and inherit them) and as
 * `inject('ferryBrokers')`. Tests read them with `endpointsFromEnv()`.
 */
import type { TestProject } from 'vitest/node';
import { provisionBrokers } from './ensure.ts';
import { endpointsToEnv } from './env.ts';
import { formatMs, log, timed } from './log.ts';
import { formatReports } from './report.ts';
import { formatStoreReports, provisionStores, storesToEnv } from './stores.ts';
import type { BrokerEndpoints } from './types.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    ferryBrokers: BrokerEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { value: provisioned, ms } = await timed(() => provisionBrokers());
  log(`brokers ready in ${formatMs(ms)}\n${formatReports(provisioned.reports)}`);
  Object.assign(process.env, endpointsToEnv(provisioned.endpoints));
  const stores = await timed(() => provisionStores());
  log(`stores ready in ${formatMs(stores.ms)}\n${formatStoreReports(stores.value.reports)}`);
  Object.assign(process.env, storesToEnv(stores.value.endpoints));
  // A plain copy: provided values must be serializable.
  project.provide('ferryBrokers', JSON.parse(JSON.stringify(provisioned.endpoints)) as BrokerEndpoints);
  return async () => {
    await stores.value.stop();
    await provisioned.stop(); // containers only; local processes stay for the next run
  };
}
