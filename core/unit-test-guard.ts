/**
 * Setup file of the `unit` vitest project: a unit test that launches Chromium fails at once with
 * the fix, instead of quietly making `npm run test:unit` slow. Tests that need a browser are
 * named `*.e2e.test.ts` (vitest.config.ts).
 */
import { vi } from 'vitest';

vi.mock('puppeteer-core', async (importOriginal) => {
  const real = await importOriginal<typeof import('puppeteer-core')>();
  const launch = () => {
    throw new Error(
      'this unit test launches Chromium: name its file *.e2e.test.ts (see vitest.config.ts)',
    );
  };
  return { ...real, launch, default: { ...real.default, launch } };
});
