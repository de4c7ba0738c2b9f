import { expect, it } from 'vitest';
import { runDemo } from './run-demo.ts';

// `pnpm demo` is one of the README's two commands: keep it working, with the outcome it promises.
// integration/demo.test.ts runs the same demo against each real broker.
it('the demo ships 9 orders, retries the flaky one, dead-letters the poisoned one and suppresses the duplicate', async () => {
  const demo = await runDemo('memory://demo-test');
  expect(demo).toMatchObject({ processed: 9, retried: 2, deadLettered: 1, duplicates: 1 });
  expect(demo.stdout).toMatch(/Dead letter order-5 .*reason="order order-5 contains a recalled item", kind=handler, attempts=1/);
}, 90_000);
