import { describe, expect, it } from 'vitest';
import { parseSpec } from './load-spec.ts';
import { homeGround, sampleScene } from './sampler.ts';
import type { Mat4 } from './types.ts';

const col = (m: Mat4, c: number) => [m[0]![c]!, m[1]![c]!, m[2]![c]!];
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('sampleScene', () => {
  const spec = parseSpec({ frames: 6, objects: { count: [2, 4] } });

  it('is a pure function of (spec, index)', () => {
    expect(sampleScene(spec, 3)).toEqual(sampleScene(spec, 3));
    expect(sampleScene(spec, 3)).not.toEqual(sampleScene(spec, 4));
    expect(sampleScene(parseSpec({ ...spec, seed: 1 }), 3)).not.toEqual(sampleScene(spec, 3));
  });

  it('forks streams: changing the camera spec leaves the objects alone', () => {
    const other = parseSpec({
      frames: 6,
      objects: { count: [2, 4] },
      camera: { trajectory: { kind: 'walk' } },
    });
    expect(sampleScene(other, 1).objects).toEqual(sampleScene(spec, 1).objects);
    expect(sampleScene(other, 1).camera.world_from_camera).not.toEqual(
      sampleScene(spec, 1).camera.world_from_camera,
    );
  });

  it.each(['orbit', 'walk', 'static'] as const)(
    '%s rig: rectified, right = left + baseline along its own x',
    (kind) => {
      const rec = sampleScene(
        parseSpec({ frames: 5, camera: { trajectory: { kind }, baseline_m: 0.1 } }),
        0,
      );
      const { left, right } = rec.camera.world_from_camera;
      expect(left).toHaveLength(5);
      for (let t = 0; t < 5; t++) {
        const l = left[t]!;
        const r = right[t]!;
        for (const c of [0, 1, 2]) {
          expect(col(r, c)).toEqual(col(l, c)); // same orientation
          expect(Math.abs(dot(col(l, c), col(l, c)) - 1)).toBeLessThan(1e-12);
        }
        expect(Math.abs(dot(col(l, 0), col(l, 1)))).toBeLessThan(1e-12);
        const shift = col(r, 3).map((v, i) => v - col(l, 3)[i]!);
        const x = col(l, 0);
        shift.forEach((v, i) => expect(v).toBeCloseTo(0.1 * x[i]!, 12));
        // OpenCV frame: y points down in the world (the camera is upright), z towards the scene.
        expect(col(l, 1)[1]!).toBeLessThan(0);
      }
    },
  );

  it('objects stand on the ground, ids are 1..n, one pose per frame, K is centred', () => {
    for (let i = 0; i < 20; i++) {
      const rec = sampleScene(spec, i);
      expect(rec.objects.map((o) => o.id)).toEqual(rec.objects.map((_, k) => k + 1));
      for (const o of rec.objects) {
        expect(o.poses).toHaveLength(6);
        for (const p of o.poses) expect(p.position[1]).toBe(0);
      }
      expect(rec.camera.K.cx).toBe((rec.camera.width - 1) / 2);
    }
  });

  it('moving objects move by velocity / fps per frame', () => {
    const rec = sampleScene(
      parseSpec({
        frames: 3,
        fps: 5,
        objects: { count: 3, motion: { p_moving: 1, speed_m_s: 1 } },
      }),
      0,
    );
    for (const o of rec.objects) {
      const d = Math.hypot(
        o.poses[1]!.position[0] - o.poses[0]!.position[0],
        o.poses[1]!.position[2] - o.poses[0]!.position[2],
      );
      expect(d).toBeCloseTo(0.2, 12);
    }
  });
});

describe('gaze: fixations and saccades', () => {
  it('fixates an object (optical axis through its centre) and saccades at about the asked rate', () => {
    const spec = parseSpec({
      frames: 100,
      fps: 20,
      objects: { count: [2, 4] },
      camera: {
        jitter_deg: 0,
        trajectory: { kind: 'walk' },
        gaze: { target: 'objects', saccade_rate_hz: 2 },
      },
    });
    let saccades = 0;
    const seconds = 20 * (100 / 20);
    for (let i = 0; i < 20; i++) {
      const rec = sampleScene(spec, i);
      const g = rec.camera.gaze;
      for (let t = 0; t < rec.frames; t++) {
        const m = rec.camera.world_from_camera.left[t]!;
        const toGaze = g[t]!.point.map((v, k) => v - m[k]![3]!);
        const cos = dot(col(m, 2), toGaze) / Math.hypot(...toGaze);
        expect(cos).toBeGreaterThan(1 - 1e-9); // looking straight at the fixated point
        expect(rec.objects.some((o) => o.id === g[t]!.object)).toBe(true);
        if (t > 0 && g[t]!.object !== g[t - 1]!.object) saccades++;
      }
    }
    expect(saccades / seconds).toBeGreaterThan(1.4);
    expect(saccades / seconds).toBeLessThan(2.6);
  });

  it('the default looks at the scene centre and records no object', () => {
    const rec = sampleScene(parseSpec({ frames: 3 }), 0);
    expect(
      rec.camera.gaze.every((g) => g.object === null && g.point[0] === 0 && g.point[2] === 0),
    ).toBe(true);
  });
});

describe('shortcut and cue-conflict knobs', () => {
  it('correlation 1 puts every first object on its home ground; 0 does not', () => {
    const on = parseSpec({ objects: { count: 1 }, background: { category_correlation: 1 } });
    const off = parseSpec({ objects: { count: 1 }, background: { category_correlation: 0 } });
    let offHome = 0;
    for (let i = 0; i < 100; i++) {
      const a = sampleScene(on, i);
      expect(a.background.name).toBe(homeGround(on, a.objects[0]!.category_index));
      expect(a.background.correlated).toBe(true);
      const b = sampleScene(off, i);
      if (b.background.name === homeGround(off, b.objects[0]!.category_index)) offHome++;
    }
    expect(offHome).toBeLessThan(25); // chance is 1 in 10 grounds
  });

  it('cue conflict 1: every object wears another category’s signature texture; 0: its own', () => {
    const conflict = parseSpec({ objects: { count: 2, texture: 'category', cue_conflict: 1 } });
    const own = parseSpec({ objects: { count: 2, texture: 'category' } });
    for (let i = 0; i < 30; i++) {
      for (const o of sampleScene(conflict, i).objects) {
        expect(o.cue_conflict).toBe(true);
        expect(o.texture_category_index).not.toBe(o.category_index);
      }
      for (const o of sampleScene(own, i).objects) {
        expect(o.cue_conflict).toBe(false);
        expect(o.texture_category).toBe(o.category);
        // Same category ⇒ same signature pattern.
        expect(o.materials.primary.pattern).toBe(
          sampleScene(own, 0).objects.find((x) => x.category === o.category)?.materials.primary
            .pattern ?? o.materials.primary.pattern,
        );
      }
    }
  });
});
