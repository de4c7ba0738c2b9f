/** Child processes of a fault run: started with tsx, their stdout lines parsed, killed with SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildConfig } from './plan.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves when the child printed READY (consumers) or rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  kill(): void;
}

/**
 * Starts `<script>` with FERRY_FAULT set. Every stdout line goes to `onLine`; stderr lines are
 * kept (the last few are shown if the run fails) and echoed when `echo` is set.
 */
export function startChild(name: string, script: 'consumer-child.ts' | 'producer-child.ts', config: ChildConfig, onLine: (line: string, child: string) => void, stderr: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, script)], {
    env: { ...process.env, FERRY_FAULT: JSON.stringify(config), NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let markReady!: () => void;
  let failReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  void ready.catch(() => undefined);
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line === 'READY') markReady();
    onLine(line, name);
  });
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    stderr.push(`${name}: ${line}`);
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    failReady(new Error(`${name} exited (code ${code}) before it was ready`));
    resolve(code);
  }));
  return { name, process: proc, ready, exited, kill: () => void proc.kill('SIGKILL') };
}
