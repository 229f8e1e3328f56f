/** Shared plumbing: the error catalogue, seeded RNG, paths, atomic writes, Python peers, downloads. */
export { stableJson, uniqueSuffix, writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export { cachedDownload, isUrl } from './download.ts';
export { DatadietError, type ErrorCode, isDatadietError } from './errors.ts';
export { packageVersion, projectRoot, tempDir } from './paths.ts';
export { findPython, findPythonAsync } from './python.ts';
export { Rng } from './rng.ts';
export { chiSquare, chiSquarePValue } from './stats.ts';
