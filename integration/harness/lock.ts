import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from './process.ts';

/**
 * A cross-process lock: a file created with O_EXCL holding the owner's pid. A lock whose owner
 * has died is stale and is taken over. Two callers (two vitest runs, or `pnpm brokers start`
 * beside a test run) therefore never start the same broker twice.
 */
export async function withLock<T>(lockFile: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(lockFile);
    if (owner !== undefined && !isProcessAlive(owner)) {
      rmSync(lockFile, { force: true }); // stale: its owner died while holding it
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for lock ${lockFile} held by pid ${owner ?? '?'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    return await fn();
  } finally {
    if (readOwner(lockFile) === process.pid) rmSync(lockFile, { force: true });
  }
}

function readOwner(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // vanished, or being written: retry
  }
}
