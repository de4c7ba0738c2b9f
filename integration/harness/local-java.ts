/** The shared start flow of the brokers the harness runs as local Java processes (Kafka, ElasticMQ). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HOST, LOCK_WAIT_MS, READY_DEADLINE_MS } from './config.ts';
import { withLock } from './lock.ts';
import { formatMs, log } from './log.ts';
import { isPortOpen } from './ports.ts';
import { runningPid, spawnDetached, stopPid } from './process.ts';
import { answers } from './probes.ts';
import type { BrokerName, BrokerReport } from './types.ts';
import { waitUntilReady } from './wait.ts';

export interface LocalJavaBroker {
  broker: BrokerName;
  label: string; // "Kafka"
  dir: string; // .brokers/<name>
  /** Start lock shared by everything that would bind these ports; default `<dir>/start.lock`. */
  lockFile?: string;
  mainClass: string;
  ports: number[]; // all ports it binds, the client port first
  address: string;
  /** The env var that would point the tests at another broker instead. */
  envVar: string;
  probe: () => Promise<void>;
  /** Fetches the jars (cached); returns the lib folder and the download time. */
  provision: () => Promise<{ libDir: string; downloadMs: number }>;
  /** Writes config and prepares data; returns the JVM arguments (heap, -D..., -cp, main, args). */
  prepare: (libDir: string) => Promise<string[]>;
  /** Run once after a fresh start, before the broker is reported ready. */
  warmUp?: () => Promise<void>;
}

export const pidFileOf = (b: Pick<LocalJavaBroker, 'dir'>) => path.join(b.dir, 'broker.pid');
export const logFileOf = (b: Pick<LocalJavaBroker, 'dir'>) => path.join(b.dir, 'broker.log');

/**
 * Reuses the broker if it answers; else (under a lock, so concurrent callers start it once)
 * fetches, configures and starts it detached, and waits until it answers a real request.
 */
export async function ensureLocalJavaBroker(b: LocalJavaBroker): Promise<BrokerReport> {
  let start = performance.now(); // moved past the jar download (and any wait for it)
  const report = (source: BrokerReport['source'], provisionMs = 0): BrokerReport => ({
    broker: b.broker,
    source,
    address: b.address,
    provisionMs,
    startMs: Math.round(performance.now() - start),
    logFile: logFileOf(b),
  });
  if (await answers(b.probe)) return report('local-reused');

  mkdirSync(b.dir, { recursive: true });
  return withLock(b.lockFile ?? path.join(b.dir, 'start.lock'), LOCK_WAIT_MS, async () => {
    if (await answers(b.probe)) return report('local-reused'); // another caller started it meanwhile

    const logFile = logFileOf(b);
    const pid = runningPid(pidFileOf(b), b.mainClass);
    if (pid !== undefined) {
      log(`${b.label}: pid ${pid} (ours) is running but not answering yet; waiting`);
      await waitUntilReady({ what: `${b.label} on ${b.address}`, probe: b.probe, deadlineMs: READY_DEADLINE_MS, logFile });
      return report('local-reused');
    }
    if (await portsHeldByThisBroker(b)) return report('local-reused');

    const { libDir, downloadMs } = await b.provision();
    if (downloadMs > 0) log(`${b.label}: fetched jars in ${formatMs(downloadMs)}`);
    start = performance.now();
    const jvmArgs = await b.prepare(libDir);
    const child = spawnDetached({ command: 'java', args: jvmArgs, cwd: b.dir, logFile, pidFile: pidFileOf(b) });
    const shown = path.relative(process.cwd(), logFile);
    log(`${b.label}: started pid ${child.pid}, log ${shown.startsWith('..') ? logFile : shown}`);
    try {
      await waitUntilReady({
        what: `${b.label} on ${b.address}`,
        probe: b.probe,
        deadlineMs: READY_DEADLINE_MS,
        logFile,
        isAlive: () => !child.hasExited(),
      });
      await b.warmUp?.();
    } catch (error) {
      await stopPid(pidFileOf(b), b.mainClass, 5_000); // do not leave a half-started broker behind
      throw error;
    }
    const done = report('local-started', downloadMs);
    log(`${b.label}: answering on ${b.address} after ${formatMs(done.startMs)}`);
    return done;
  });
}

/**
 * True if a port is open and the broker answers after a short grace (it was still coming up);
 * false if the ports are free. A port held by something that does not answer as this broker
 * throws instead of hanging.
 */
async function portsHeldByThisBroker(b: LocalJavaBroker): Promise<boolean> {
  for (const port of b.ports) {
    if (!(await isPortOpen(HOST, port))) continue;
    const grace = performance.now() + 10_000;
    while (performance.now() < grace) {
      if (await answers(b.probe)) return true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error(
      `${HOST}:${port} is taken by a process that does not answer as ${b.label}. ` +
        `Stop it, or point the tests at a running ${b.label} with ${b.envVar}.`,
    );
  }
  return false;
}
