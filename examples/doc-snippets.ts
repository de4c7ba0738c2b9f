import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Each TypeScript block of `doc` (a path under docs/), on its own, must typecheck and run to the
 * end with `env`: exit 0 and no error on stderr. A doc that drifts from the API fails here.
 */
export function checkDocSnippets(doc: string, blocks: number, env: NodeJS.ProcessEnv): void {
  const text = readFileSync(path.join(root, doc), 'utf8');
  const snippets = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(snippets.length).toBe(blocks);
  // Inside examples/ so that @ferry/* and zod resolve as they do for the demo.
  const dir = mkdtempSync(path.join(here, '.guide-'));
  try {
    const files = snippets.map((snippet, i) => {
      const file = path.join(dir, `snippet-${i}.ts`);
      writeFileSync(file, `${snippet}\nexport {};\n`);
      return file;
    });
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['*.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr, 'tsc on the snippets').toBe('');
    for (const file of files) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: here, timeout: 60_000, env });
      expect(run.stderr, `stderr of ${path.basename(file)}`).not.toMatch(/Error|error:/);
      expect(run.status, `exit code of ${path.basename(file)}`).toBe(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
