/**
 * The shared idempotency stores the tests use, picked like the brokers: (a) FERRY_REDIS_URL /
 * FERRY_POSTGRES_URL as they are; (b) else containers when a container runtime answers
 * (@testcontainers/redis, @testcontainers/postgresql); (c) else the machine's services on
 * 127.0.0.1, started if they do not answer (see docs/testing.md).
 */
import { READY_DEADLINE_MS } from './config.ts';
import { useContainers } from './ensure.ts';
import { redactUrl } from './env.ts';
import { formatMs, log } from './log.ts';
import { ensureLocalPostgres, POSTGRES_LOCAL_URL } from './postgres-local.ts';
import { ensureLocalRedis, REDIS_LOCAL_URL } from './redis-local.ts';
import { startStoreContainers } from './store-containers.ts';
import { probePostgres, probeRedis } from './store-probes.ts';
import { waitUntilReady } from './wait.ts';

export type StoreName = 'redis' | 'postgres';
export const ALL_STORES: readonly StoreName[] = ['redis', 'postgres'];

export const STORE_ENV = { redis: 'FERRY_REDIS_URL', postgres: 'FERRY_POSTGRES_URL' } as const satisfies Record<StoreName, string>;

export interface StoreEndpoints {
  redis: { url: string };
  postgres: { url: string };
}

export interface StoreReport {
  store: StoreName;
  source: 'env' | 'container' | 'local-started' | 'local-reused';
  /** The URL, password hidden. */
  address: string;
  startMs: number;
}

const PROBES: Record<StoreName, (url: string) => Promise<void>> = { redis: probeRedis, postgres: probePostgres };

function fromEnv(store: StoreName): string | undefined {
  const value = process.env[STORE_ENV[store]]?.trim();
  return value ? value : undefined;
}

/** Endpoints from FERRY_REDIS_URL / FERRY_POSTGRES_URL, else the local defaults (not checked). */
export function storesFromEnv(): StoreEndpoints {
  return { redis: { url: fromEnv('redis') ?? REDIS_LOCAL_URL }, postgres: { url: fromEnv('postgres') ?? POSTGRES_LOCAL_URL } };
}

export function storesToEnv(endpoints: StoreEndpoints): Record<string, string> {
  return { [STORE_ENV.redis]: endpoints.redis.url, [STORE_ENV.postgres]: endpoints.postgres.url };
}

/** Makes Redis and PostgreSQL answer; `stop` removes containers this call started (local services stay). */
export async function provisionStores(): Promise<{ endpoints: StoreEndpoints; reports: StoreReport[]; stop: () => Promise<void> }> {
  const endpoints = storesFromEnv();
  const rest = ALL_STORES.filter((s) => !fromEnv(s));
  const envChecks = ALL_STORES.filter((s) => fromEnv(s)).map(async (store): Promise<StoreReport> => {
    const t0 = performance.now();
    const url = endpoints[store].url;
    await waitUntilReady({ what: `${store} from ${STORE_ENV[store]} (${redactUrl(url)})`, probe: () => PROBES[store](url), deadlineMs: READY_DEADLINE_MS });
    return { store, source: 'env', address: redactUrl(url), startMs: Math.round(performance.now() - t0) };
  });
  let stop = async () => {};
  let reports: StoreReport[] = [];
  if (rest.length > 0 && (await useContainers())) {
    log(`container runtime found: starting ${rest.join(', ')} with testcontainers`);
    const started = await startStoreContainers(rest);
    Object.assign(endpoints, started.endpoints);
    reports = started.reports;
    stop = started.stop;
  } else if (rest.length > 0) {
    const local: Record<StoreName, () => Promise<StoreReport>> = { redis: ensureLocalRedis, postgres: ensureLocalPostgres };
    reports = await Promise.all(rest.map((s) => local[s]()));
  }
  try {
    reports = [...(await Promise.all(envChecks)), ...reports];
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoints, reports, stop };
}

/** One line per store, like the brokers' report. */
export function formatStoreReports(reports: readonly StoreReport[]): string {
  return reports.map((r) => `  ${r.store.padEnd(8)} ${r.address.padEnd(34)} ${r.source.padEnd(13)} ready in ${formatMs(r.startMs)}`).join('\n');
}
