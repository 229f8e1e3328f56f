import { execFile, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

/**
 * Python peers (NumPy, PyTorch, ONNX) used by tests and benchmarks as independent implementations.
 * Debian's python3-torch and friends live under /usr/bin/python3, which a pyenv or venv python3
 * earlier on PATH does not see, so both are tried.
 */
const CANDIDATES = ['python3', '/usr/bin/python3'];

export type PythonPeer = { python: string; reason?: undefined } | { python: null; reason: string };

const cache = new Map<string, PythonPeer>();

/** The first python3 that can import every module named, or why none can. */
export function findPython(modules: string[]): PythonPeer {
  const key = modules.join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  let found: PythonPeer = { python: null, reason: notFound(modules) };
  for (const python of CANDIDATES) {
    const r = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
      stdio: 'ignore',
      timeout: 60_000,
      // Not the project root: its onnx/ folder would import as a namespace package named onnx.
      cwd: tmpdir(),
    });
    if (r.status === 0) {
      found = { python };
      break;
    }
  }
  cache.set(key, found);
  return found;
}

/**
 * `findPython` without blocking the event loop (importing torch takes seconds). `then` is Python
 * run after the imports by the same process (e.g. printing a version); its output is returned.
 */
export async function findPythonAsync(
  modules: string[],
  then?: string,
): Promise<PythonPeer & { stdout?: string }> {
  const key = modules.join(',');
  const hit = cache.get(key);
  if (hit && then === undefined) return hit;
  let found: PythonPeer & { stdout?: string } = { python: null, reason: notFound(modules) };
  for (const python of CANDIDATES) {
    const code = [...modules.map((m) => `import ${m}`), ...(then ? [then] : [])].join('; ');
    const stdout = await promisify(execFile)(python, ['-c', code], {
      timeout: 60_000,
      cwd: tmpdir(),
    }).then(
      (r) => r.stdout,
      () => null,
    );
    if (stdout !== null) {
      found = { python, stdout };
      break;
    }
  }
  cache.set(key, found.python === null ? found : { python: found.python });
  return found;
}

const notFound = (modules: string[]) =>
  `no python3 imports ${modules.join(', ')} (tried ${CANDIDATES.join(', ')}; ` +
  `Debian: apt-get install ${modules.map((m) => debianPackage(m)).join(' ')})`;

function debianPackage(module: string): string {
  return `python3-${module.split('.')[0]}`;
}
