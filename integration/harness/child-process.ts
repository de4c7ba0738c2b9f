import { spawn, type ChildProcess } from 'node:child_process';

/** A test's consumer process (tsx), which prints `ready` once it runs. */
export interface Child {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

/**
 * Starts `script` with tsx; `ready` rejects if it exits first (with the end of its stderr). An
 * exit other than SIGKILL or 0 is recorded in `log` when one is given.
 */
export function startChild(script: string, args: readonly string[], log?: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then(() => reject(new Error(`child ${child.pid} exited (${String(child.signalCode ?? child.exitCode)}) before it was ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  void exited.then(() => log && child.signalCode !== 'SIGKILL' && child.exitCode !== 0 && log.push(`child ${child.pid} exited ${String(child.exitCode)}: ${stderr}`));
  return { process: child, ready, exited };
}
