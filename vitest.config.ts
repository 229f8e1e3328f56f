import { defineConfig } from 'vitest/config';

/**
 * Two projects, told apart by file name, so `npm run test:unit` can run the fast part alone:
 * - `*.e2e.test.ts`: starts a real Chromium, a child process (the CLI, a Python peer, a GPU probe)
 *   or trains through the loader on rendered data;
 * - `*.slow.test.ts`: in-process but long (statistical sweeps over thousands of sampled scenes).
 * Everything else is `unit`: no browser, no child process, seconds per file.
 */
const HEAVY = ['**/*.e2e.test.ts', '**/*.slow.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Browser-backed tests each start Chromium; two cores cannot run many at once. `test:unit`
    // turns file parallelism back on (no browsers there).
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          setupFiles: ['core/unit-test-guard.ts'],
          exclude: ['node_modules/**', ...HEAVY],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [...HEAVY],
          exclude: ['node_modules/**'],
        },
      },
    ],
  },
});
