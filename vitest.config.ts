import { defineConfig } from 'vitest/config';

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
