import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec, resolveSpec } from './load-spec.ts';
import { PRESETS } from './presets.ts';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  return null;
};

describe('spec', () => {
  it('fills every default and accepts every preset', () => {
    const s = parseSpec({});
    expect(s.camera.baseline_m).toBe(0.064);
    expect(s.layers).toEqual(['rgb', 'depth', 'seg', 'parts', 'valid']);
    for (const p of PRESETS) expect(() => parseSpec(p.spec)).not.toThrow();
  });

  it('a single number is a fixed range', () => {
    expect(parseSpec({ objects: { count: 2 } }).objects.count).toEqual([2, 2]);
  });

  it.each([
    [{ frames: 0 }, /frames/],
    [{ width: -1 }, /width/],
    [{ bogus: 1 }, /bogus: unknown field/],
    [{ camera: { far: 0.01 } }, /camera.far: far must be greater than near/],
    [{ objects: { count: [3, 1] } }, /objects.count: range must be \[min, max\]/],
    [{ objects: { categories: ['dragon'] } }, /unknown category/],
    [{ layers: ['rgb', 'rgb'] }, /layers must not repeat/],
    [{ layers: ['optic'] }, /layers.0: must be one of rgb, depth, seg, parts, flow, normal/],
    [{ camera: { trajectory: { kind: 'orbit', radius: 3 } } }, /radius: unknown field/],
    [
      { objects: { cue_conflict: 0.5 } },
      /objects.cue_conflict: needs objects.texture = 'category'/,
    ],
    [
      { objects: { count: [0, 2] }, camera: { gaze: { target: 'objects' } } },
      /camera.gaze.target: 'objects' needs objects.count/,
    ],
    [
      { background: { category_correlation: 1, grounds: ['grass'] } },
      /category_correlation: needs at least two/,
    ],
    [{ objects: { motion: { kind: 'physics', p_moving: 1 } } }, /p_moving: unknown field/],
    [{ objects: { motion: { kind: 'rocket' } } }, /objects.motion.kind/],
    [{ background: { category_correlation: 1.5 } }, /category_correlation/],
  ])('rejects %j naming the field', (input, message) => {
    const err = codeOf(() => parseSpec(input));
    expect(err?.code).toBe('SPEC_INVALID');
    expect(err?.message).toMatch(message);
  });

  it('preset ← spec file ← CLI overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'datadiet-spec-'));
    const file = join(dir, 'mine.json');
    await writeFile(file, JSON.stringify({ frames: 5, camera: { fov_y_deg: 40 } }));
    const s = await resolveSpec({
      preset: 'objects-orbit',
      specFile: file,
      overrides: { frames: 6 },
    });
    expect(s.name).toBe('mine');
    expect(s.width).toBe(128); // from the preset
    expect(s.camera.fov_y_deg).toBe(40); // from the file
    expect(s.camera.baseline_m).toBe(0.064); // nested default kept by the deep merge
    expect(s.frames).toBe(6); // from the flag
  });

  it('a missing spec file is its own error', async () => {
    await expect(resolveSpec({ specFile: '/nonexistent.json' })).rejects.toMatchObject({
      code: 'SPEC_FILE_UNREADABLE',
    });
  });
});
