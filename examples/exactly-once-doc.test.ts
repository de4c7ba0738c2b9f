import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// docs/exactly-once.md's set-up snippets are runnable: each TypeScript block, on its own, must
// typecheck and run to the end on memory:// against the machine's Redis and PostgreSQL
// (REDIS_URL / DATABASE_URL, else 127.0.0.1, as the snippets say).
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

it('docs/exactly-once.md: every snippet typechecks and runs on its own', () => {
  const doc = readFileSync(path.join(root, 'docs/exactly-once.md'), 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBe(3);
  const dir = mkdtempSync(path.join(here, '.guide-'));
  try {
    const files = blocks.map((block, i) => {
      const file = path.join(dir, `snippet-${i}.ts`);
      writeFileSync(file, `${block}\nexport {};\n`);
      return file;
    });
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', include: ['*.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr, 'tsc on the snippets').toBe('');
    const env = { ...process.env, DATABASE_URL: process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', REDIS_URL: process.env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379' };
    for (const file of files) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: here, timeout: 60_000, env });
      expect(run.stderr, `stderr of ${path.basename(file)}`).not.toMatch(/Error|error:/);
      expect(run.status, `exit code of ${path.basename(file)}`).toBe(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
