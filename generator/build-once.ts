/**
 * Memoises an async build for the life of the process. A failed build is not kept: the next call
 * builds again, so one transient failure (a missing file mid-install) does not stick.
 */
export function buildOnce<T>(make: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= make().catch((e: unknown) => {
      cached = undefined;
      throw e;
    });
    return cached;
  };
}
