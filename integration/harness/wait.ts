import { existsSync, readFileSync } from 'node:fs';
import { formatMs } from './log.ts';

/** Last `lines` lines of a log file, or a note that it is missing. */
export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no log file at ${file})`;
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines).join('\n');
}

export interface WaitOptions {
  /** e.g. "Kafka on 127.0.0.1:9092" */
  what: string;
  /** Throws until the broker answers a real request. */
  probe: () => Promise<void>;
  deadlineMs: number;
  /** Log to quote on failure. */
  logFile?: string;
  /** Return false when the process we started has exited: fail at once. */
  isAlive?: () => boolean;
  intervalMs?: number;
}

/** Polls `probe` until it succeeds; on deadline or process death, throws with the log's tail. */
export async function waitUntilReady(opts: WaitOptions): Promise<void> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 500;
  let lastError: unknown;
  for (;;) {
    try {
      await opts.probe();
      return;
    } catch (error) {
      lastError = error;
    }
    const elapsed = Date.now() - start;
    const died = opts.isAlive !== undefined && !opts.isAlive();
    if (died || elapsed >= opts.deadlineMs) {
      const why = died ? 'its process exited' : `it did not answer within ${formatMs(opts.deadlineMs)}`;
      const last = lastError instanceof Error ? lastError.message : String(lastError);
      const tail = opts.logFile ? `\n--- last lines of ${opts.logFile} ---\n${tailFile(opts.logFile)}` : '';
      throw new Error(`${opts.what} is not ready: ${why} (last probe error: ${last})${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
