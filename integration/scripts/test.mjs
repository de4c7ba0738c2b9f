#!/usr/bin/env node
// `pnpm test`: Redis and PostgreSQL, unit tests (no broker), then brokers (started or reused by the harness), then the
// integration tests against them. Every step runs even if an earlier one failed, except that the
// integration tests need the brokers; the exit code is non-zero if any step failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const reports = mkdtempSync(path.join(os.tmpdir(), 'ferry-test-'));

/** vitest with its usual output plus a JSON report whose counts the summary adds up. */
const vitest = (project, ...extra) => ({
  args: ['exec', 'vitest', 'run', '--project', project, ...extra, '--reporter=default', '--reporter=json',
    `--outputFile.json=${path.join(reports, `${project}.json`)}`],
  report: path.join(reports, `${project}.json`),
});

const steps = [
  // Redis and PostgreSQL first: the unit tests of @ferry/redis and @ferry/postgres use them.
  { name: 'redis, postgres', args: ['exec', 'tsx', 'integration/harness/cli.ts', 'stores'] },
  { name: 'unit tests', ...vitest('unit', '--passWithNoTests') },
  { name: 'brokers', args: ['exec', 'tsx', 'integration/harness/cli.ts', 'start'], gate: true },
  { name: 'integration tests', ...vitest('integration'), needsGate: true },
];

const results = [];
let gateFailed = false;
for (const step of steps) {
  if (step.needsGate && gateFailed) {
    results.push({ name: step.name, status: 'skipped (brokers did not start)', code: 1 });
    continue;
  }
  process.stdout.write(`\n=== ${step.name}: pnpm ${step.args.join(' ')}\n`);
  const start = Date.now();
  const run = spawnSync('pnpm', step.args, { cwd: root, stdio: 'inherit', env: process.env });
  const code = run.error ? 127 : (run.status ?? 1);
  if (run.error) process.stderr.write(`could not run pnpm: ${run.error.message}\n`);
  const seconds = ((Date.now() - start) / 1000).toFixed(1);
  results.push({ name: step.name, status: code === 0 ? 'ok' : `FAILED (exit ${code})`, code, seconds });
  if (step.gate && code !== 0) gateFailed = true;
}

const tests = { passed: 0, failed: 0, skipped: 0 };
for (const step of steps) {
  if (!step.report || !existsSync(step.report)) continue;
  const json = JSON.parse(readFileSync(step.report, 'utf8'));
  tests.passed += json.numPassedTests ?? 0;
  tests.failed += json.numFailedTests ?? 0;
  tests.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
}
rmSync(reports, { recursive: true, force: true });

process.stdout.write(`\n=== summary (Node ${process.version})\n`);
for (const r of results) {
  process.stdout.write(`  ${r.name.padEnd(18)} ${r.status}${r.seconds ? ` in ${r.seconds} s` : ''}\n`);
}
const failed = results.filter((r) => r.code !== 0).length;
process.stdout.write(`${failed === 0 ? 'all steps passed' : `${failed} step(s) failed`}\n`);
process.stdout.write(`tests: ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped\n`);
process.exit(failed === 0 ? 0 : 1);
