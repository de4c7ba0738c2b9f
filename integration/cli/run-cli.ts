/** Runs the `ferry` bin as the operator does (node packages/cli/bin/ferry.mjs), and the URLs of the harness's brokers. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { endpointsFromEnv, ferryUrls } from '../harness/index.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../packages/cli/bin/ferry.mjs', import.meta.url));

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Both, for "the fix is in the output" and "no secret anywhere". */
  readonly all: string;
}

/** Runs `ferry ...args` to its end. */
export function ferry(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, all: `${stdout}\n${stderr}` });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `ferry ...args`, resolving once stderr shows `ready` (the command's "now listening" line). */
export function ferryUntil(args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; done: Promise<Ran> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    const done = new Promise<Ran>((r) => child.on('close', (code) => r({ code, stdout, stderr, all: `${stdout}\n${stderr}` })));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!started && ready.test(stderr)) {
        started = true;
        resolve({ child, done });
      }
    });
    void done.then((ran) => {
      if (!started) reject(new Error(`ferry ${args.join(' ')} exited ${ran.code} before ${ready}: ${ran.all}`));
    });
  });
}

export const urls = {
  memory: () => 'memory://cli-test',
  kafka: () => ferryUrls(endpointsFromEnv()).kafka,
  rabbitmq: () => ferryUrls(endpointsFromEnv()).rabbitmq,
  sqs: () => ferryUrls(endpointsFromEnv()).sqs,
};

/** Whether `rabbitmqctl` can manage the RabbitMQ the tests use (the machine's service; not in a container run). */
export function rabbitmqctlWorks(): boolean {
  return spawnSync('rabbitmqctl', ['list_users'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

export function rabbitmqctl(...args: string[]): void {
  const r = spawnSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`rabbitmqctl ${args[0]} failed: ${r.stderr}`);
}
