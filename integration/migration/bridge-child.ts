/**
 * `ferry bridge` as a child process (the real CLI, packages/cli/bin/ferry.mjs), for tests that
 * SIGKILL it: started, ready once it printed its `started` JSON line, its last progress kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/ferry.mjs');

export interface BridgeChild {
  readonly process: ChildProcess;
  /** Resolves once the bridge subscribed (its `started` line). */
  readonly ready: Promise<void>;
  /** Resolves when it exited, with its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Its JSON lines so far (progress, stopped). */
  readonly events: Array<{ event: string; copied?: number; [k: string]: unknown }>;
  /** The tail of its stderr (retries, errors). */
  stderr(): string;
}

export function startBridge(args: readonly string[]): BridgeChild {
  const child = spawn(process.execPath, [cli, 'bridge', ...args, '--json'], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: BridgeChild['events'] = [];
  let err = '';
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-8_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as BridgeChild['events'][number];
        events.push(event);
        if (event.event === 'started') resolve();
      }
    });
    void exited.then((code) => reject(new Error(`ferry bridge ${child.pid} exited (${String(child.signalCode ?? code)}) before it started: ${err}`)));
  });
  ready.catch(() => undefined);
  return { process: child, ready, exited, events, stderr: () => err };
}
