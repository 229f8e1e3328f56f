import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../core/index.ts';
import { FORMAT_VERSION } from '../generator/index.ts';
import { generateTiny } from '../generator/test-helpers.ts';

const peer = findPython(['numpy']);
if (peer.python === null) console.log(`skipping examples/read_ground_truth.py: ${peer.reason}`);

const script = join(import.meta.dirname, 'read_ground_truth.py');
const run = (dir: string, sample = 0) =>
  JSON.parse(
    execFileSync(peer.python!, [script, dir, '--sample', String(sample)]).toString(),
  ) as Record<string, unknown>;

describe.skipIf(!peer.python)('examples/read_ground_truth.py (NumPy + tarfile only)', () => {
  let out: string;
  beforeAll(async () => {
    ({ out } = await generateTiny({
      sequences: 2,
      sequences_per_shard: 1,
      frames: 4,
      width: 48,
      height: 48,
      seed: 3,
      layers: ['rgb', 'depth', 'seg', 'flow', 'valid', 'occlusion'],
      camera: { trajectory: { kind: 'orbit', speed_deg_s: [60, 90] } },
      objects: { count: [2, 3], motion: { p_moving: 1, speed_m_s: [1, 2] } },
      render: { antialias: false },
      lighting: { shadows: false },
    }));
  });

  it('reads the manifest and a shard, and the masks mean what the README says', () => {
    const s = run(out, 1);
    expect(s.format_version).toBe(FORMAT_VERSION);
    expect(s.key).toBe('seq-00000001');
    expect(s.sky_depth_is_far).toBe(true);
    expect(s.sky_seg_is_background).toBe(true);
    const counts = s.occlusion_counts as Record<string, number>;
    expect(counts['1']).toBeGreaterThan(0);
    expect(s.warp_error_hidden as number).toBeGreaterThan(3 * (s.warp_error_visible as number));
    expect((s.centre_point_camera_m as number[])[2]).toBeGreaterThan(0);
  });

  it('still reads a pre-1.2 manifest whose shard files are bare names', async () => {
    const path = join(out, 'manifest.json');
    const m = JSON.parse(await readFile(path, 'utf8')) as { shards: { file: string }[] };
    for (const r of m.shards) r.file = r.file.replace(/^shards\//, '');
    await writeFile(path, JSON.stringify(m));
    expect(run(out, 1).key).toBe('seq-00000001');
  });
});
