/**
 * Shared plumbing, imported by every folder and importing none: the error catalogue, the seeded
 * RNG, project paths, atomic writes and deterministic JSON, Python peers, cached downloads, stats.
 */
export { stableJson, uniqueSuffix, writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export { cachedDownload, isUrl } from './download.ts';
export { DatadietError, type ErrorCode, isDatadietError, type ErrorField } from './errors.ts';
export { packageVersion, projectRoot, tempDir } from './paths.ts';
export { findPython, findPythonAsync } from './python.ts';
export { Rng } from './rng.ts';
export { chiSquare, chiSquarePValue } from './stats.ts';
