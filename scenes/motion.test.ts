/**
 * Self-motion signals from sampled scene records (no rendering): analytic cases (a level orbit,
 * a straight walk), exact inversion of the documented difference scheme, and the log/exp maps
 * checked against gl-matrix's quaternions.
 */
import { mat3, quat } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import { parseSpec } from './load-spec.ts';
import {
  GRAVITY,
  MOTION_COLUMNS,
  headPoses,
  integrateMotion,
  motionColumnIndices,
  motionSignals,
  rotationExp,
  rotationLog,
  type Mat3,
} from './motion.ts';
import { findPreset } from './presets.ts';
import { prepareSampler, sampleScene } from './sampler.ts';
import type { SpecInput } from './spec.ts';
import type { SceneRecord, Vec3 } from './types.ts';

const C = MOTION_COLUMNS.length;
const col = (name: string) => MOTION_COLUMNS.findIndex((c) => c.name === name);
const row3 = (data: Float64Array, t: number, first: string): Vec3 => {
  const j = col(first);
  return [data[t * C + j]!, data[t * C + j + 1]!, data[t * C + j + 2]!];
};

async function record(input: SpecInput, index = 0): Promise<SceneRecord> {
  const spec = parseSpec(input);
  await prepareSampler(spec);
  return sampleScene(spec, index);
}

/** gl-matrix (column-major) → our row-major Mat3, via an independent quaternion route. */
function glRotation(axis: Vec3, angle: number): Mat3 {
  const q = quat.setAxisAngle(quat.create(), axis, angle);
  const m = mat3.fromQuat(mat3.create(), q);
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]] as Mat3;
}

const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

describe('log and exp maps', () => {
  it('agree with gl-matrix quaternions from tiny angles up to nearly π', () => {
    const axis: Vec3 = [0.3, -0.8, 0.52];
    const n = Math.hypot(...axis);
    const unit = axis.map((a) => a / n) as Vec3;
    for (const angle of [1e-9, 1e-5, 0.01, 0.5, 2, 3.1]) {
      const r = glRotation(unit, angle);
      expect(maxDiff(rotationExp(unit.map((u) => u * angle) as Vec3), r)).toBeLessThan(1e-12);
      const v = rotationLog(r);
      expect(
        maxDiff(
          v,
          unit.map((u) => u * angle),
        ),
      ).toBeLessThan(1e-9);
    }
  });
});

describe('motion signals', () => {
  it('a level orbit without jitter: yaw rate about world up, sideways speed r·ω, gravity', async () => {
    const rec = await record({
      frames: 12,
      fps: 10,
      camera: {
        jitter_deg: 0,
        trajectory: { kind: 'orbit', radius_m: 3, height_m: 1.2, speed_deg_s: 30 },
      },
    });
    const m = motionSignals(rec);
    const speed = ((rec.camera.trajectory.speed_deg_s as number) * Math.PI) / 180;
    const { rotation } = headPoses(rec);
    const rHead = Math.hypot(3, rec.camera.baseline_m / 2);
    for (let t = 0; t < rec.frames; t++) {
      const r = rotation[t]!;
      // The eye sits at (r cos θ, h, r sin θ), θ = θ0 + speed·t: a rotation by −θ about +y (right-
      // handed, y up), so the world angular velocity is (0, −speed, 0), Rᵀ·that in the head frame.
      const want: Vec3 = [-r[3] * speed, -r[4] * speed, -r[5] * speed];
      expect(maxDiff(row3(m.data, t, 'head_angvel_x'), want)).toBeLessThan(1e-12);
      expect(
        maxDiff(row3(m.data, t, 'gravity_x'), [-r[3] * GRAVITY, -r[4] * GRAVITY, -r[5] * GRAVITY]),
      ).toBeLessThan(1e-12);
      const v = row3(m.data, t, 'head_vel_x');
      // The head moves sideways (camera x is horizontal), at the chord speed of the difference.
      const dt = 1 / rec.fps;
      const chord =
        t === 0 || t === rec.frames - 1
          ? (2 * Math.sin((speed * dt) / 2)) / dt
          : Math.sin(speed * dt) / dt;
      expect(Math.hypot(...v)).toBeCloseTo(rHead * Math.abs(chord), 9);
      expect(Math.abs(v[0])).toBeGreaterThan(0.97 * Math.hypot(...v));
      expect(Math.sign(v[0])).toBe(Math.sign(-speed));
      expect(row3(m.data, t, 'head_angacc_x').every((a) => Math.abs(a) < 1e-9)).toBe(true);
    }
  });

  it('a straight walk: body velocity is the walking speed along the heading; bob shows in head velocity', async () => {
    const rec = await record({
      frames: 16,
      fps: 20,
      camera: {
        jitter_deg: 0,
        trajectory: { kind: 'walk', speed_m_s: 1, bob_m: 0.02, step_hz: 2 },
      },
    });
    const m = motionSignals(rec);
    const heading = ((rec.camera.trajectory.heading_deg as number) * Math.PI) / 180;
    let bobSeen = 0;
    for (let t = 0; t < rec.frames; t++) {
      expect(
        maxDiff(row3(m.data, t, 'body_vel_x'), [Math.cos(heading), 0, Math.sin(heading)]),
      ).toBeLessThan(1e-9);
      bobSeen = Math.max(bobSeen, Math.abs(row3(m.data, t, 'head_acc_x')[1]));
    }
    // Bob 2 cm at 2 Hz: vertical acceleration up to 0.02·(4π)² ≈ 3 m/s² (less after differencing).
    expect(bobSeen).toBeGreaterThan(1);
  });

  it('fixation: without jitter the gaze point lies on the left optical axis', async () => {
    const rec = await record({ camera: { jitter_deg: 0, trajectory: { kind: 'walk' } } });
    const m = motionSignals(rec);
    for (let t = 0; t < rec.frames; t++) {
      const g = row3(m.data, t, 'gaze_x');
      expect(g[0]).toBeCloseTo(-rec.camera.baseline_m / 2, 9);
      expect(g[1]).toBeCloseTo(0, 9);
      expect(g[2]).toBeGreaterThan(1);
    }
  });

  for (const preset of ['objects-orbit', 'walkthrough', 'saccades', 'movi-like']) {
    it(`${preset}: integrating the signals reproduces every recorded pose (3 sequences)`, async () => {
      const spec = parseSpec({ ...findPreset(preset)!.spec, frames: 20 });
      await prepareSampler(spec);
      for (let i = 0; i < 3; i++) {
        const rec = sampleScene(spec, i);
        const m = motionSignals(rec);
        const truth = headPoses(rec);
        const got = integrateMotion({
          data: m.data,
          frames: rec.frames,
          fps: rec.fps,
          r0: truth.rotation[0]!,
          p0: truth.position[0]!,
        });
        for (let t = 0; t < rec.frames; t++) {
          expect(maxDiff(got.rotation[t]!, truth.rotation[t]!)).toBeLessThan(1e-9);
          expect(maxDiff(got.position[t]!, truth.position[t]!)).toBeLessThan(1e-9);
        }
        if (preset === 'saccades') {
          expect(
            m.data.filter((_, k) => k % C === col('saccade')).every((s) => s === 0 || s === 1),
          ).toBe(true);
        }
      }
    });
  }

  it('column groups resolve to their indices', () => {
    expect(motionColumnIndices(['head_vel', 'head_angvel'])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(motionColumnIndices(['saccade'])).toEqual([C - 1]);
    expect(() => motionColumnIndices(['nope'])).toThrow(/unknown column group/);
  });
});
