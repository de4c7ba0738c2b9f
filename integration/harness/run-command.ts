import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/**
 * Runs a command to completion with stdout+stderr appended to `logFile`; resolves its exit code.
 * A missing executable rejects with `missingHint`.
 */
export function runToLog(
  command: string,
  args: string[],
  opts: { cwd: string; logFile: string; missingHint: string; timeoutMs?: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(opts.logFile, { flags: 'a' });
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      out.end();
      reject(error.code === 'ENOENT' ? new Error(`${command} is not on PATH: ${opts.missingHint}`) : error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      out.end(() => resolve(code ?? 1));
    });
  });
}
