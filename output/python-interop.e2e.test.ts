/**
 * The format is a public contract: anything with Python's tarfile and NumPy must read our shards,
 * and we must read what numpy writes. Skipped (with a note) where python3 has no numpy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, decodeNpy, encodeNpy, encodeNpyParts, typedView, type DType } from './npy.ts';
import { readShard, sampleArray, sampleJson } from './reader.ts';
import { ShardWriter } from './tar-shard.ts';

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const numpy = hasNumpy();
if (!numpy) console.warn('python-interop: python3 with numpy not found, skipping cross-checks');

function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
}

const ALL_DTYPES = Object.keys(DTYPES) as DType[];
const SHAPE = [2, 3, 1, 4];

/** Element i of the test array, the same formula as `value(dtype, i)` in the Python below. */
function value(dtype: DType, i: number): number {
  switch (dtype) {
    case 'uint8':
      return (i * 37) % 256;
    case 'int8':
      return ((i * 37) % 256) - 128;
    case 'uint16':
      return (i * 2741) % 65536;
    case 'int16':
      return ((i * 2741) % 65536) - 32768;
    case 'uint32':
      return (i * 2654435761) % 2 ** 32;
    case 'int32':
      return ((i * 2654435761) % 2 ** 32) - 2 ** 31;
    case 'float16':
      return (i * 997) % 0x7c00; // raw bits of a finite positive half
    case 'float32':
      return Math.fround(i * 0.25 - 3);
    case 'float64':
      return i / 3 - 1e10;
  }
}

const PY_VALUE = `
import numpy as np
def value(dtype, n):
    i = np.arange(n, dtype=np.int64)
    if dtype == 'uint8': return (i * 37) % 256
    if dtype == 'int8': return (i * 37) % 256 - 128
    if dtype == 'uint16': return (i * 2741) % 65536
    if dtype == 'int16': return (i * 2741) % 65536 - 32768
    if dtype == 'uint32': return (i * 2654435761) % 2**32
    if dtype == 'int32': return (i * 2654435761) % 2**32 - 2**31
    if dtype == 'float16': return ((i * 997) % 0x7C00).astype('<u2').view('<f2')
    if dtype == 'float32': return (i * 0.25 - 3).astype(np.float32)
    if dtype == 'float64': return i / 3 - 1e10
SHAPE = (2, 3, 1, 4)
`;

function testArray(dtype: DType, shape = SHAPE) {
  const n = shape.reduce((a, b) => a * b, 1);
  const arr = { dtype, shape, data: Buffer.alloc(n * DTYPES[dtype].itemsize) };
  const view = typedView(arr);
  for (let i = 0; i < n; i++) view[i] = value(dtype, i);
  return arr;
}

describe.skipIf(!numpy)('python interop (numpy + tarfile)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'datadiet-py-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('np.load reads every dtype we write, and np.save writes the very same bytes', async () => {
    for (const dtype of ALL_DTYPES) {
      await writeFile(join(dir, `${dtype}.npy`), encodeNpy(testArray(dtype)));
    }
    await writeFile(join(dir, 'vec.npy'), encodeNpy(testArray('uint8', [5])));
    await writeFile(join(dir, 'scalar.npy'), encodeNpy(testArray('float64', [])));
    const out = python(
      `${PY_VALUE}
import io, sys, os
d = sys.argv[1]
def check(path, dtype, shape):
    a = np.load(path)
    assert a.dtype == np.dtype(dtype), (path, a.dtype)
    assert a.shape == shape, (path, a.shape)
    expect = value(dtype, int(np.prod(shape))).astype(dtype).reshape(shape)
    assert np.array_equal(a.view(a.dtype.newbyteorder('<')), expect), path
    b = io.BytesIO(); np.save(b, a)
    assert b.getvalue() == open(path, 'rb').read(), ('bytes differ from np.save', path)
for dt in ${JSON.stringify(ALL_DTYPES)}:
    check(os.path.join(d, dt + '.npy'), dt, SHAPE)
check(os.path.join(d, 'vec.npy'), 'uint8', (5,))
check(os.path.join(d, 'scalar.npy'), 'float64', ())
print('ok')
`,
      dir,
    );
    expect(out.trim()).toBe('ok');
  });

  it('we decode what np.save writes', async () => {
    python(
      `${PY_VALUE}
import sys, os
for dt in ${JSON.stringify(ALL_DTYPES)}:
    np.save(os.path.join(sys.argv[1], 'np-' + dt + '.npy'), value(dt, 24).astype(dt).reshape(SHAPE))
np.save(os.path.join(sys.argv[1], 'np-vec.npy'), np.arange(5, dtype=np.int16))
np.save(os.path.join(sys.argv[1], 'np-scalar.npy'), np.float32(2.5))
`,
      dir,
    );
    for (const dtype of ALL_DTYPES) {
      const arr = decodeNpy(await readFile(join(dir, `np-${dtype}.npy`)));
      expect(arr.dtype).toBe(dtype);
      expect(arr.shape).toEqual(SHAPE);
      expect(Array.from(typedView(arr))).toEqual(Array.from(typedView(testArray(dtype))));
    }
    const vec = decodeNpy(await readFile(join(dir, 'np-vec.npy')));
    expect([vec.dtype, vec.shape, Array.from(typedView(vec))]).toEqual([
      'int16',
      [5],
      [0, 1, 2, 3, 4],
    ]);
    const scalar = decodeNpy(await readFile(join(dir, 'np-scalar.npy')));
    expect([scalar.dtype, scalar.shape, Array.from(typedView(scalar))]).toEqual([
      'float32',
      [],
      [2.5],
    ]);
  });

  it('tarfile + np.load read a whole shard we write', async () => {
    const path = join(dir, 'shard-000000.tar');
    const w = await ShardWriter.open({ path });
    for (const n of [42, 43]) {
      const rgb = testArray('uint8', [2, 4, 5, 3]);
      const depth = testArray('float32', [2, 4, 5]);
      const frameBytes = depth.data.length / 2;
      await w.addSample(`seq-000000${n}`, [
        { name: 'json', data: Buffer.from(JSON.stringify({ seed: n, T: 2 })) },
        { name: 'left.rgb.npy', data: encodeNpy(rgb) },
        // Streamed per frame, as the generator will do.
        {
          name: 'left.depth.npy',
          data: encodeNpyParts(
            'float32',
            [2, 4, 5],
            [depth.data.subarray(0, frameBytes), depth.data.subarray(frameBytes)],
          ),
        },
      ]);
    }
    await w.finish();
    const out = python(
      `${PY_VALUE}
import io, json, sys, tarfile
names = []
with tarfile.open(sys.argv[1]) as tf:
    for m in tf:
        assert m.isfile() and m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.mode == 0o644, m
        names.append(m.name)
        data = tf.extractfile(m).read()
        if m.name.endswith('.json'):
            assert json.loads(data)['T'] == 2
        elif m.name.endswith('.rgb.npy'):
            a = np.load(io.BytesIO(data))
            assert a.dtype == np.uint8 and a.shape == (2, 4, 5, 3)
            assert np.array_equal(a.ravel(), value('uint8', a.size).astype(np.uint8))
        else:
            a = np.load(io.BytesIO(data))
            assert a.dtype == np.float32 and a.shape == (2, 4, 5)
            assert np.array_equal(a.ravel(), value('float32', a.size))
print(json.dumps(names))
`,
      path,
    );
    expect(JSON.parse(out)).toEqual([
      'seq-00000042.json',
      'seq-00000042.left.rgb.npy',
      'seq-00000042.left.depth.npy',
      'seq-00000043.json',
      'seq-00000043.left.rgb.npy',
      'seq-00000043.left.depth.npy',
    ]);
  });

  it('readShard reads a WebDataset tar written by Python (pax format, 10 KiB records)', async () => {
    const path = join(dir, 'py.tar');
    python(
      `
import io, json, sys, tarfile
import numpy as np
def add(tf, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); tf.addfile(info, io.BytesIO(data))
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tf:
    for k in range(3):
        key = 'sub.dir/seq-%08d' % k
        add(tf, key + '.json', json.dumps({'k': k}).encode())
        b = io.BytesIO(); np.save(b, np.full((2, 2), k, dtype=np.uint16)); add(tf, key + '.left.seg.npy', b.getvalue())
    long = 'x' * 120  # forces a pax path record
    add(tf, long + '.json', b'{"long": true}')
`,
      path,
    );
    const samples = [];
    for await (const s of readShard(path)) samples.push(s);
    expect(samples.map((s) => s.key)).toEqual([
      'sub.dir/seq-00000000',
      'sub.dir/seq-00000001',
      'sub.dir/seq-00000002',
      'x'.repeat(120),
    ]);
    expect(sampleJson(samples[2]!)).toEqual({ k: 2 });
    const seg = sampleArray(samples[1]!, 'left.seg.npy');
    expect([seg.dtype, seg.shape, Array.from(typedView(seg))]).toEqual([
      'uint16',
      [2, 2],
      [1, 1, 1, 1],
    ]);
  });
});
