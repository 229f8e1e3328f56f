import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';

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
  let found: PythonPeer = {
    python: null,
    reason:
      `no python3 imports ${modules.join(', ')} (tried ${CANDIDATES.join(', ')}; ` +
      `Debian: apt-get install ${modules.map((m) => debianPackage(m)).join(' ')})`,
  };
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

function debianPackage(module: string): string {
  return `python3-${module.split('.')[0]}`;
}
