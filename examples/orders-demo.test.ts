import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

// `pnpm demo` is one of the README's two commands: keep it working, with the outcome it promises.
it('the demo ships 9 orders, retries the flaky one, dead-letters the poisoned one and suppresses the duplicate', async () => {
  const { stdout } = await run('pnpm', ['exec', 'tsx', 'examples/orders-demo.ts'], { cwd: root, env: { ...process.env, FERRY_URL: 'memory://demo-test' }, timeout: 60_000 });
  const count = (label: string) => Number(new RegExp(`${label}\\s+(\\d+)`).exec(stdout)?.[1]);
  expect(count('processed')).toBe(9);
  expect(count('retried')).toBe(2);
  expect(count('dead-lettered')).toBe(1);
  expect(count('duplicates suppressed')).toBe(1);
  expect(stdout).toMatch(/Dead letter order-5 .*reason="order order-5 contains a recalled item", kind=handler, attempts=1/);
}, 90_000);
