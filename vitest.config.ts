import { defineConfig } from 'vitest/config';

// Projects: `unit` (pure, fast), `fuzz` (property-based, heavier), `integration` (real servers in
// network namespaces; needs root and runs in CI), `e2e` (the UI in Chromium against the lab; root).
// `security` (attacks on the root helper as real non-root users; root). `npm test` runs all of them.
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
      {
        // Attacks on the root helper (test/security/README.md), each from a real unprivileged user
        // the global setup creates, against the real helper and lab servers; root only, serial.
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/security/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The production renderer in headless Chromium (Playwright) through the dev bridge, against
        // the real services, the real helper and lab servers; root only, serial. See test/e2e/.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
