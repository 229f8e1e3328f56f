/** Tests only: torchvision classifiers exported by PyTorch (testdata/torch_reference.py). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/index.ts';
import { decodeNpy, encodeNpy, ndarray, typedView } from '../output/index.ts';

const script = fileURLToPath(new URL('./testdata/torch_reference.py', import.meta.url));

export interface TorchExport {
  onnx: string;
  /** The preprocessed input PyTorch saw, [N, 3, S, S]. */
  x: Float32Array;
  logits: Float32Array;
  /** d logits[n, classes[n]] / d x. */
  grad: Float32Array;
}

/** Exports `arch` (seeded random weights) at opset `opset` into `dir`, with PyTorch's outputs. */
export function exportTorchvision(o: {
  python: string;
  arch: string;
  opset: number;
  dir: string;
  n: number;
  size: number;
  classes: number[];
}): TorchExport {
  mkdirSync(o.dir, { recursive: true });
  const rng = new Rng(15, o.arch);
  const x = Float32Array.from({ length: o.n * 3 * o.size * o.size }, () => rng.normal());
  writeFileSync(join(o.dir, 'x.npy'), encodeNpy(ndarray('float32', [o.n, 3, o.size, o.size], x)));
  writeFileSync(
    join(o.dir, 'c.npy'),
    encodeNpy(ndarray('int32', [o.n], Int32Array.from(o.classes))),
  );
  const r = spawnSync(
    o.python,
    [
      script,
      ...['--arch', o.arch, '--opset', String(o.opset), '--out', o.dir],
      ...['--input', join(o.dir, 'x.npy'), '--classes', join(o.dir, 'c.npy')],
    ],
    { encoding: 'utf8', timeout: 240_000 },
  );
  if (r.status !== 0) throw new Error(`torch_reference.py failed: ${r.stderr}`);
  const read = (f: string) => typedView(decodeNpy(readFileSync(join(o.dir, f)))) as Float32Array;
  return { onnx: join(o.dir, 'model.onnx'), x, logits: read('logits.npy'), grad: read('grad.npy') };
}

export { relErr } from './export-check.ts';
