import { defineConfig } from 'vitest/config';

// The AWS SDK prints a 9-line Node.js version notice (on Node 20) in every process that loads it:
// the harness's global setup and each test worker inherit this switch, so test output shows only
// what the tests say. Applications get the notice through Ferry's logger (docs/adapters/sqs.md).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Two projects: `unit` runs anywhere with no broker (core, memory, conformance on memory);
// `integration` talks to real brokers that integration/harness starts or reuses.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['integration/**/*.test.ts'],
          globalSetup: ['integration/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          // Real brokers are shared by the files of a run; keep load predictable on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
