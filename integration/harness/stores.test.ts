/** The globalSetup hands the stores to the test workers, and they answer there. */
import { describe, expect, it } from 'vitest';
import { probePostgres, probeRedis } from './store-probes.ts';
import { storesFromEnv } from './stores.ts';

describe('integration globalSetup: stores', () => {
  it('exports FERRY_REDIS_URL and FERRY_POSTGRES_URL to the test worker, and both answer a real request', async () => {
    expect(process.env.FERRY_REDIS_URL).toMatch(/^rediss?:\/\//);
    expect(process.env.FERRY_POSTGRES_URL).toMatch(/^postgres(ql)?:\/\//);
    const { redis, postgres } = storesFromEnv();
    await probeRedis(redis.url);
    await probePostgres(postgres.url);
  });

  it('a probe of a port where nothing listens fails, so "answers" means something', async () => {
    await expect(probeRedis('redis://127.0.0.1:1')).rejects.toThrow();
    await expect(probePostgres('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow();
  });
});
