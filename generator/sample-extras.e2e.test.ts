/**
 * `.motion.npy` and `.txt` in real shards (rendered by headless Chromium, read back through
 * output/reader.ts): present in every sample, documented in manifest.json, accepted by verify, and
 * true to the sample's own record — integrating the stored (float32) velocities reproduces the
 * recorded camera rotations and positions.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  readDataset,
  readManifest,
  readShard,
  sampleArray,
  sampleJson,
  typedView,
  encodeNpy,
  ndarray,
  ShardWriter,
  verifyDataset,
  shardPath,
} from '../output/index.ts';
import {
  captionScene,
  MOTION_COLUMNS,
  headPoses,
  integrateMotion,
  findPreset,
  type SceneRecord,
} from '../scenes/index.ts';
import { generateTiny, tempDir } from './test-helpers.ts';

const TINY = {
  sequences: 2,
  sequences_per_shard: 2,
  frames: 10,
  width: 16,
  height: 16,
  layers: ['rgb'] as ['rgb'],
  lighting: { shadows: false },
  render: { antialias: false },
};

const datasets = new Map<string, string>();

beforeAll(async () => {
  for (const preset of ['objects-orbit', 'saccades']) {
    const { out } = await generateTiny({ ...findPreset(preset)!.spec, ...TINY });
    datasets.set(preset, out);
  }
});

/** The scene record inside a sample JSON (which adds summary fields and calls frames `T`). */
const recordOf = (json: Record<string, unknown>) =>
  ({ ...json, frames: json.T }) as unknown as SceneRecord;

interface ManifestDoc {
  sample_members: string[];
  motion: {
    shape: number[];
    dtype: string;
    columns: { name: string; unit: string }[];
    head_frame: string;
    rotations: string;
  };
  caption: { member: string };
  conventions: Record<string, string>;
}

const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

describe('extra sample members', () => {
  it('manifest.json documents the motion columns, units, frames and scheme, and the caption', async () => {
    const m = (await readManifest(datasets.get('objects-orbit')!)) as unknown as ManifestDoc;
    expect(m.sample_members).toEqual(
      expect.arrayContaining(['json', 'left.rgb.npy', 'motion.npy', 'txt']),
    );
    expect(m.motion.shape).toEqual([TINY.frames, MOTION_COLUMNS.length]);
    expect(m.motion.dtype).toBe('float32');
    expect(m.motion.columns.map((c) => c.name)).toEqual(MOTION_COLUMNS.map((c) => c.name));
    expect(m.motion.columns.find((c) => c.name === 'head_angvel_y')!.unit).toBe('rad/s');
    expect(m.motion.head_frame).toMatch(/OpenCV/);
    expect(m.motion.rotations).toMatch(/log/);
    expect(m.caption.member).toBe('txt');
    expect(m.conventions.motion).toMatch(/motion\.npy/);
  });

  for (const preset of ['objects-orbit', 'saccades']) {
    it(`${preset}: integrating the stored velocities reproduces the recorded camera poses`, async () => {
      let samples = 0;
      for await (const s of readDataset(datasets.get(preset)!)) {
        samples++;
        const rec = recordOf(sampleJson<Record<string, unknown>>(s));
        const motion = sampleArray(s, 'motion.npy');
        expect(motion.dtype).toBe('float32');
        expect(motion.shape).toEqual([rec.frames, MOTION_COLUMNS.length]);
        const data = typedView(motion) as Float32Array;
        const truth = headPoses(rec);
        const got = integrateMotion({
          data,
          frames: rec.frames,
          fps: rec.fps,
          r0: truth.rotation[0]!,
          p0: truth.position[0]!,
        });
        let moved = 0;
        for (let t = 0; t < rec.frames; t++) {
          // float32 rows: ~1e-7 relative per value, summed over the sequence.
          expect(maxDiff(got.rotation[t]!, truth.rotation[t]!)).toBeLessThan(2e-5);
          expect(maxDiff(got.position[t]!, truth.position[t]!)).toBeLessThan(2e-5);
          moved = Math.max(moved, maxDiff(truth.rotation[t]!, truth.rotation[0]!));
        }
        expect(moved).toBeGreaterThan(0.01); // the camera really turned
        const text = s.members.get('txt')!.toString('utf8');
        expect(text).toBe(`${captionScene(rec).text}\n`);
        for (const o of rec.objects.slice(0, 3)) expect(text).toContain(o.category);
      }
      expect(samples).toBe(TINY.sequences);
    });
  }

  it('datadiet verify accepts the dataset with its new members', async () => {
    const report = await verifyDataset(datasets.get('saccades')!);
    expect(report.problems).toEqual([]);
    expect(report.samples).toBe(TINY.sequences);
  });

  it('verify reports a motion array of another shape than the manifest says', async () => {
    const src = datasets.get('objects-orbit')!;
    const dir = await tempDir('extras-bad');
    await cp(src, dir, { recursive: true });
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      shards: { file: string; sha256: string; bytes: number }[];
    };
    const rec = manifest.shards[0]!;
    const shard = shardPath(dir, rec);
    const samples = [];
    for await (const s of readShard(shard)) samples.push(s);
    const writer = await ShardWriter.open({ path: shard });
    for (const s of samples) {
      const members = [...s.members].map(([name, data]) => ({
        name,
        data:
          name === 'motion.npy'
            ? encodeNpy(ndarray('float32', [TINY.frames, 3], new Float32Array(TINY.frames * 3)))
            : data,
      }));
      await writer.addSample(s.key, members);
    }
    Object.assign(rec, await writer.finish());
    await writeFile(manifestPath, JSON.stringify(manifest));
    const report = await verifyDataset(dir);
    expect(report.problems.map((p) => p.code)).toEqual(['SHAPE_MISMATCH', 'SHAPE_MISMATCH']);
    expect(report.problems[0]!.message).toMatch(/motion\.npy/);
  });
});
