import { expect } from 'vitest';
import { DatadietError, type ErrorCode } from './errors.ts';

/**
 * Awaits `p` and expects it to reject with a DatadietError of `code` (whose message matches
 * `pattern` when given); returns the error for further checks.
 */
export async function expectDatadietError(
  p: Promise<unknown>,
  code: ErrorCode,
  pattern?: RegExp,
): Promise<DatadietError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatadietError);
  const e = err as DatadietError;
  expect(e.code).toBe(code);
  if (pattern) expect(e.message).toMatch(pattern);
  return e;
}
