/** `ferry relay` as a child process (the CLI itself, as an operator runs it), ready once it says so. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/ferry.mjs');

export interface RelayProcess {
  readonly child: ChildProcess;
  /** Resolves when it prints `relay running`; rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  /** Its last output lines (stdout and stderr), for a failure's message. */
  output(): string;
}

export function startRelayProcess(postgresUrl: string, brokerUrl: string, flags: readonly string[]): RelayProcess {
  const child = spawn(process.execPath, [BIN, 'relay', postgresUrl, brokerUrl, ...flags], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6_000));
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (output.includes('relay running')) resolve();
    });
    void exited.then(() => reject(new Error(`ferry relay ${child.pid} exited (${String(child.signalCode ?? child.exitCode)}) before it was running: ${output}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => output };
}

/** SIGTERM (a graceful stop), then SIGKILL if it has not exited within `ms`. */
export async function stopRelayProcess(relay: RelayProcess, ms = 10_000): Promise<void> {
  if (relay.child.exitCode !== null || relay.child.signalCode !== null) return;
  relay.child.kill('SIGTERM');
  const timer = setTimeout(() => relay.child.kill('SIGKILL'), ms);
  await relay.exited;
  clearTimeout(timer);
}
