import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// docs/guide.md's TypeScript blocks, in order, as one program: what a reader who copies them
// gets. Used by examples/guide.test.ts (memory://) and integration/migration/guide.test.ts (each
// broker, through FERRY_URL).
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

export interface GuideRun {
  readonly blocks: number;
  /** tsc's output on the program ('' when it typechecks); undefined when not asked. */
  readonly tsc: string | undefined;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runGuide(options: { typecheck?: boolean; env?: Record<string, string>; timeoutMs?: number } = {}): GuideRun {
  const guide = readFileSync(path.join(root, 'docs/guide.md'), 'utf8');
  const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  // Inside examples/ so that @ferry/* and zod resolve as they do for the demo.
  const dir = mkdtempSync(path.join(here, '.guide-'));
  try {
    const file = path.join(dir, 'guide.ts');
    writeFileSync(file, blocks.join('\n'));
    let tsc: string | undefined;
    if (options.typecheck) {
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['guide.ts'] }));
      const run = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      tsc = run.stdout + run.stderr;
    }
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
      encoding: 'utf8',
      cwd: here,
      timeout: options.timeoutMs ?? 60_000,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
    });
    return { blocks: blocks.length, tsc, status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
