/** The real CLI (packages/cli/bin/ferry.mjs) as a child process, its output piped. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../packages/cli/bin/ferry.mjs');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node [--import preload] ferry.mjs ...args`; `preload` runs in the CLI's process first (memory://). */
export function ferry(args: readonly string[], options: { preload?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const pre = options.preload ? ['--import', 'tsx', '--import', options.preload] : [];
  const child = spawn(process.execPath, [...pre, cli, ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: here,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
