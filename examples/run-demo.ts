import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

export interface DemoSummary {
  processed: number;
  retried: number;
  deadLettered: number;
  duplicates: number;
  stdout: string;
}

/** Runs `pnpm demo` as the README says, against `url`, and reads its summary. */
export async function runDemo(url: string, options: Record<string, unknown> = {}): Promise<DemoSummary> {
  const { stdout } = await run('pnpm', ['exec', 'tsx', 'examples/orders-demo.ts'], {
    cwd: root,
    env: { ...process.env, FERRY_URL: url, FERRY_OPTIONS: JSON.stringify(options) },
    timeout: 120_000,
  });
  const count = (label: string) => Number(new RegExp(`${label}\\s+(\\d+)`).exec(stdout)?.[1]);
  return { processed: count('processed'), retried: count('retried'), deadLettered: count('dead-lettered'), duplicates: count('duplicates suppressed'), stdout };
}
