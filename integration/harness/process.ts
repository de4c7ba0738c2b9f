/** Detached broker processes: start, find by pid file, stop. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Command line of a live process (Linux /proc), '' if unknown. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * The pid in `pidFile` if that process is alive and (where /proc tells) still runs `marker`
 * (e.g. the Java main class), so a recycled pid is never taken for our broker.
 */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined;
  const cmd = commandLine(pid);
  if (cmd !== '' && !cmd.includes(marker)) return undefined;
  return pid;
}

/**
 * Starts `command args` in its own session with stdout+stderr to `logFile` (the previous log is
 * kept as `<logFile>.1`), writes its pid to `pidFile` and lets it outlive this process.
 */
export function spawnDetached(opts: {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>;
}): { pid: number; hasExited: () => boolean } {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  if (existsSync(opts.logFile)) renameSync(opts.logFile, `${opts.logFile}.1`);
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(opts.env && { env: { ...process.env, ...opts.env } }),
    });
    if (child.pid === undefined) throw new Error(`Could not start ${opts.command} (is it on PATH?)`);
    let exited = false;
    child.on('error', () => undefined); // reported through the log and the readiness wait
    child.on('exit', () => {
      exited = true;
    });
    child.unref();
    writeFileSync(opts.pidFile, String(child.pid));
    return { pid: child.pid, hasExited: () => exited };
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns true if something was stopped. */
export async function stopPid(pidFile: string, marker: string, graceMs = 30_000): Promise<boolean> {
  const pid = runningPid(pidFile, marker);
  rmSync(pidFile, { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}
