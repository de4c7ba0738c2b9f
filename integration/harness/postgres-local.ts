/** The machine's PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`): started if it does not answer. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { HOST } from './config.ts';
import { formatMs, log } from './log.ts';
import { brokerDir } from './paths.ts';
import { answers } from './probes.ts';
import { runToLog } from './run-command.ts';
import { probePostgres } from './store-probes.ts';
import type { StoreReport } from './stores.ts';
import { waitUntilReady } from './wait.ts';

export const POSTGRES_LOCAL_URL = `postgres://postgres@${HOST}:5432/test`;

export async function ensureLocalPostgres(): Promise<StoreReport> {
  const start = performance.now();
  const report = (source: StoreReport['source']): StoreReport => ({ store: 'postgres', source, address: POSTGRES_LOCAL_URL, startMs: Math.round(performance.now() - start) });
  if (await answers(() => probePostgres(POSTGRES_LOCAL_URL))) return report('local-reused');
  const dir = brokerDir('postgres');
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'commands.log');
  const hint = 'install postgresql (apt-get install postgresql), or point the tests at a database with FERRY_POSTGRES_URL';
  // Debian's clusters: /etc/postgresql/<version>/main.
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) throw new Error(`PostgreSQL does not answer on ${HOST}:5432 and no Debian cluster is installed (/etc/postgresql is empty): ${hint}.`);
  for (const version of versions) {
    log(`PostgreSQL: not answering; running pg_ctlcluster ${version} main start`);
    const code = await runToLog('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { cwd: dir, logFile, missingHint: hint, timeoutMs: 60_000 });
    if (code !== 0) log(`PostgreSQL: pg_ctlcluster ${version} main start exited ${code} (see ${logFile})`);
  }
  await waitUntilReady({ what: `PostgreSQL on ${HOST}:5432 (database test, user postgres)`, probe: () => probePostgres(POSTGRES_LOCAL_URL), deadlineMs: 30_000, logFile });
  const started = report('local-started');
  log(`PostgreSQL: answering after ${formatMs(started.startMs)}`);
  return started;
}
