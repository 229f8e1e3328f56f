import { build } from 'esbuild';
import { projectRoot } from '../core/index.ts';
import { buildOnce } from './build-once.ts';

/**
 * Spark (the Gaussian-splat renderer, ~3 MB) as a separate ES module, bundled once per process and
 * shipped only to pages that draw splats: the main page bundle stays small and quick to build.
 * Its `three` imports resolve to the page's own three.js (`globalThis.__datadietThree`), so splat
 * meshes and the page's renderer share one copy of three.
 */
export const sparkBundle = buildOnce(() =>
  build({
    stdin: {
      contents: "export * from '@sparkjsdev/spark';",
      resolveDir: projectRoot(),
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'esm',
    target: 'chrome120',
    logLevel: 'silent',
    plugins: [
      {
        name: 'page-three',
        setup(b) {
          b.onResolve({ filter: /^three$/ }, () => ({ path: 'three', namespace: 'page-three' }));
          b.onLoad({ filter: /.*/, namespace: 'page-three' }, () => ({
            contents: 'module.exports = globalThis.__datadietThree;',
            loader: 'js',
          }));
        },
      },
    ],
  }).then((r) => r.outputFiles[0]!.text),
);
