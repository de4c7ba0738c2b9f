import { expect, it } from 'vitest';
import { runGuide } from './guide-runner.ts';

// docs/guide.md says every snippet runs as it is on memory://: its TypeScript blocks, in order,
// must typecheck and run to the end. A guide that drifts from the API fails here. The same
// program runs on each broker in integration/migration/guide.test.ts.
it('the guide’s snippets, in order, typecheck and run on memory://', () => {
  const run = runGuide({ typecheck: true });
  expect(run.blocks).toBeGreaterThanOrEqual(5);
  expect(run.tsc, 'tsc on the guide').toBe('');
  expect(run.stderr, 'stderr of the guide').not.toMatch(/Error|error:/);
  expect(run.status, 'exit code of the guide').toBe(0);
  expect(run.stdout).toContain('memory'); // the Client snippet prints the transport's name
}, 90_000);
