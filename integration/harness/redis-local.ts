/** The machine's Redis on 127.0.0.1:6379: started (no persistence) if it does not answer. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HOST } from './config.ts';
import { formatMs, log } from './log.ts';
import { brokerDir } from './paths.ts';
import { answers } from './probes.ts';
import { runToLog } from './run-command.ts';
import { probeRedis } from './store-probes.ts';
import type { StoreReport } from './stores.ts';
import { waitUntilReady } from './wait.ts';

export const REDIS_LOCAL_URL = `redis://${HOST}:6379`;

export async function ensureLocalRedis(): Promise<StoreReport> {
  const start = performance.now();
  const report = (source: StoreReport['source']): StoreReport => ({ store: 'redis', source, address: REDIS_LOCAL_URL, startMs: Math.round(performance.now() - start) });
  if (await answers(() => probeRedis(REDIS_LOCAL_URL))) return report('local-reused');
  const dir = brokerDir('redis');
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'commands.log');
  log('Redis: not answering; running redis-server --daemonize yes');
  const code = await runToLog('redis-server', ['--daemonize', 'yes', '--bind', HOST, '--port', '6379', '--save', '', '--appendonly', 'no'], {
    cwd: dir,
    logFile,
    missingHint: 'install redis-server (apt-get install redis-server), or point the tests at a Redis with FERRY_REDIS_URL',
    timeoutMs: 30_000,
  });
  if (code !== 0) log(`Redis: redis-server exited ${code} (see ${logFile})`);
  await waitUntilReady({ what: `Redis on ${HOST}:6379`, probe: () => probeRedis(REDIS_LOCAL_URL), deadlineMs: 20_000, logFile });
  const started = report('local-started');
  log(`Redis: answering after ${formatMs(started.startMs)}`);
  return started;
}
