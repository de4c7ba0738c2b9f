/**
 * The testcontainers path for the stores, used when a container runtime answers (as for the
 * brokers in containers.ts). Imported lazily: the env and local paths never load testcontainers.
 */
import { READY_DEADLINE_MS } from './config.ts';
import { redactUrl } from './env.ts';
import { log } from './log.ts';
import { probePostgres, probeRedis } from './store-probes.ts';
import type { StoreEndpoints, StoreName, StoreReport } from './stores.ts';
import { waitUntilReady } from './wait.ts';

export const STORE_IMAGES = { redis: 'redis:7.4-alpine', postgres: 'postgres:16-alpine' } as const satisfies Record<StoreName, string>;

export async function startStoreContainers(which: readonly StoreName[]): Promise<{ endpoints: Partial<StoreEndpoints>; reports: StoreReport[]; stop: () => Promise<void> }> {
  const endpoints: Partial<StoreEndpoints> = {};
  const reports: StoreReport[] = [];
  const started: Array<{ stop(): Promise<unknown> }> = [];
  const stop = async () => void (await Promise.allSettled(started.map((c) => c.stop())));
  const ready = async (store: StoreName, url: string, t0: number) => {
    await waitUntilReady({ what: `${store} container`, probe: () => (store === 'redis' ? probeRedis(url) : probePostgres(url)), deadlineMs: READY_DEADLINE_MS });
    reports.push({ store, source: 'container', address: redactUrl(url), startMs: Math.round(performance.now() - t0) });
    log(`${store}: container ${STORE_IMAGES[store]} answering on ${redactUrl(url)}`);
  };
  try {
    if (which.includes('redis')) {
      const t0 = performance.now();
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer(STORE_IMAGES.redis).start();
      started.push(container);
      endpoints.redis = { url: container.getConnectionUrl() };
      await ready('redis', endpoints.redis.url, t0);
    }
    if (which.includes('postgres')) {
      const t0 = performance.now();
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer(STORE_IMAGES.postgres).withDatabase('test').start();
      started.push(container);
      endpoints.postgres = { url: container.getConnectionUri() };
      await ready('postgres', endpoints.postgres.url, t0);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoints, reports, stop };
}
