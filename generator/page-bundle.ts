import { build } from 'esbuild';
import { join } from 'node:path';
import { projectRoot } from '../core/index.ts';
import { buildOnce } from './build-once.ts';

/** The page script: generator/page/main.ts with three.js, bundled once per process (~0.3 s). */
export const pageBundle = buildOnce(() =>
  build({
    entryPoints: [join(projectRoot(), 'generator', 'page', 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'chrome120',
    minify: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text),
);
