import { defineConfig } from 'vitest/config';

// Projects: `unit` (pure, fast), `fuzz` (property-based, heavier), `integration` (real servers in
// network namespaces; needs root and runs in CI). `npm test` runs all of them.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', setupFiles: ['test/setup/fast-check.ts'] } },
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], environment: 'node', testTimeout: 300_000, setupFiles: ['test/setup/fast-check.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
