/** The machine's own RabbitMQ (e.g. Debian's rabbitmq-server): started if it does not answer. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { AMQP_LOCAL_URL, AMQP_PORT, HOST, LOCK_WAIT_MS, READY_DEADLINE_MS } from './config.ts';
import { ENV } from './env.ts';
import { withLock } from './lock.ts';
import { formatMs, log } from './log.ts';
import { brokerDir } from './paths.ts';
import { isPortOpen } from './ports.ts';
import { answers, probeAmqp } from './probes.ts';
import { CONSISTENT_HASH_PLUGIN, ensureConsistentHashPlugin } from './rabbitmq-plugin.ts';
import { runToLog } from './run-command.ts';
import type { BrokerReport } from './types.ts';
import { waitUntilReady } from './wait.ts';

const ENDPOINT = { url: AMQP_LOCAL_URL };
const DIR = brokerDir('rabbitmq');
const COMMAND_LOG = path.join(DIR, 'commands.log');
const INSTALL_HINT = `install rabbitmq-server, or point the tests at a broker with ${ENV.amqp}`;

/** The newest RabbitMQ log of a Debian install, for error messages. */
function rabbitLogFile(): string | undefined {
  const dir = '/var/log/rabbitmq';
  if (!existsSync(dir)) return undefined;
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return logs[0];
}

export async function ensureLocalRabbitmq(): Promise<BrokerReport> {
  const start = performance.now();
  const report = (source: BrokerReport['source']): BrokerReport => ({
    broker: 'rabbitmq',
    source,
    address: `${HOST}:${AMQP_PORT}`,
    provisionMs: 0,
    startMs: Math.round(performance.now() - start),
  });
  mkdirSync(DIR, { recursive: true });
  let result: BrokerReport;
  if (await answers(() => probeAmqp(ENDPOINT))) {
    result = report('local-reused');
  } else {
    result = await withLock(path.join(DIR, 'start.lock'), LOCK_WAIT_MS, async () => {
      if (await answers(() => probeAmqp(ENDPOINT))) return report('local-reused');
      const portTaken = await isPortOpen(HOST, AMQP_PORT);
      if (!portTaken) {
        log('RabbitMQ: not answering; running rabbitmq-server -detached');
        const code = await runToLog('rabbitmq-server', ['-detached'], {
          cwd: DIR,
          logFile: COMMAND_LOG,
          missingHint: INSTALL_HINT,
        });
        if (code !== 0) log(`RabbitMQ: rabbitmq-server -detached exited ${code} (see ${COMMAND_LOG})`);
      }
      const logFile = rabbitLogFile();
      try {
        await waitUntilReady({
          what: `RabbitMQ on ${HOST}:${AMQP_PORT}`,
          probe: () => probeAmqp(ENDPOINT),
          // A broker that already holds the port answers within seconds; a cold start takes longer.
          deadlineMs: portTaken ? 20_000 : READY_DEADLINE_MS,
          ...(logFile ? { logFile } : {}),
        });
      } catch (error) {
        if (!portTaken) throw error;
        throw new Error(
          `${HOST}:${AMQP_PORT} is taken by something that does not answer as RabbitMQ with guest/guest; ` +
            `${INSTALL_HINT}.\n${(error as Error).message}`,
        );
      }
      const started = report('local-started');
      log(`RabbitMQ: answering after ${formatMs(started.startMs)}`);
      return started;
    });
  }
  await ensureConsistentHashPlugin(ENDPOINT.url, () =>
    runToLog('rabbitmq-plugins', ['enable', CONSISTENT_HASH_PLUGIN], {
      cwd: DIR,
      logFile: COMMAND_LOG,
      missingHint: 'rabbitmq-plugins comes with rabbitmq-server',
      timeoutMs: 60_000,
    }),
  );
  return result;
}

export const RABBITMQ_LOCAL_ENDPOINT = ENDPOINT;
