import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// docs/guide.md says every snippet runs as it is on memory://: its TypeScript blocks, in order,
// must typecheck and run to the end. A guide that drifts from the API fails here.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

it('the guide’s snippets, in order, typecheck and run on memory://', () => {
  const guide = readFileSync(path.join(root, 'docs/guide.md'), 'utf8');
  const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  // Inside examples/ so that @ferry/* and zod resolve as they do for the demo.
  const dir = mkdtempSync(path.join(here, '.guide-'));
  try {
    const file = path.join(dir, 'guide.ts');
    writeFileSync(file, blocks.join('\n'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['guide.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr, 'tsc on the guide').toBe('');
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: here, timeout: 60_000 });
    expect(run.stderr, 'stderr of the guide').not.toMatch(/Error|error:/);
    expect(run.status, 'exit code of the guide').toBe(0);
    expect(run.stdout).toContain('memory'); // the Client snippet prints the transport's name
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
