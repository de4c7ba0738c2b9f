/** One real request per store: it is "up" only when it answers one. */
import pg from 'pg';
import { createClient } from 'redis';
import { withTimeout } from './probes.ts';

const PROBE_TIMEOUT_MS = 5_000;

/** Redis answers PING. */
export async function probeRedis(url: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      PROBE_TIMEOUT_MS,
      'Redis PING',
    );
  } finally {
    client.destroy();
  }
}

/** PostgreSQL answers SELECT 1 on the database of the URL. */
export async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.query('SELECT 1');
      })(),
      PROBE_TIMEOUT_MS,
      'PostgreSQL SELECT 1',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
