import type { Rng } from '../core/index.ts';
import type { Spec, TrajectorySpec } from './spec.ts';
import { mat4, quat, vec3 } from './matrix.ts';
import type { Mat4, Vec3 } from './types.ts';

const DEG = Math.PI / 180;

/** gl-matrix mat4 (column-major) → 4×4 row-major nested array. */
export function toRowMajor(m: mat4): Mat4 {
  return [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => m[c * 4 + r]!));
}

/**
 * world_from_camera for an OpenCV camera (x right, y down, z forward) at `eye` looking at `target`
 * with world up = +y.
 */
export function lookAtOpenCV(eye: vec3, target: vec3): mat4 {
  const z = vec3.normalize(vec3.create(), vec3.subtract(vec3.create(), target, eye));
  const x = vec3.normalize(vec3.create(), vec3.cross(vec3.create(), z, [0, 1, 0]));
  const y = vec3.cross(vec3.create(), z, x);
  // prettier-ignore
  return mat4.fromValues(
    x[0], x[1], x[2], 0,
    y[0], y[1], y[2], 0,
    z[0], z[1], z[2], 0,
    eye[0], eye[1], eye[2], 1,
  );
}

/** Smooth head jitter: three sinusoids per axis with random frequency and phase. */
function jitterFn(rng: Rng, amplitudeDeg: number): (t: number) => mat4 {
  const axes = [0, 1, 2].map(() =>
    [0, 1, 2].map(() => ({
      f: rng.uniform(0.2, 2),
      p: rng.uniform(0, 2 * Math.PI),
      a: rng.next(),
    })),
  );
  return (t) => {
    const angles = axes.map((waves) => {
      const norm = waves.reduce((s, w) => s + w.a, 0) || 1;
      const v = waves.reduce((s, w) => s + w.a * Math.sin(2 * Math.PI * w.f * t + w.p), 0);
      return (amplitudeDeg * DEG * v) / norm;
    });
    const q = quat.fromEuler(quat.create(), ...(angles.map((a) => a / DEG) as Vec3));
    return mat4.fromQuat(mat4.create(), q);
  };
}

export interface RigPoses {
  trajectory: Record<string, unknown> & { kind: string };
  gaze: { point: Vec3; object: number | null; saccade: boolean }[];
  left: Mat4[];
  right: Mat4[];
}

/** Where an object is looked at, per frame: the centre of its bounding box in the world. */
export interface GazeCandidate {
  id: number;
  centres: Vec3[];
}

const minJerk = (s: number) => s * s * s * (10 - 15 * s + 6 * s * s);

/**
 * Fixations and saccades: the eyes hold an object (following it as it moves) and jump to another
 * at Poisson-distributed times, moving along a minimum-jerk profile for `saccade_duration_s`.
 */
function sampleGaze(opts: {
  rng: Rng;
  gaze: Spec['camera']['gaze'];
  objects: GazeCandidate[];
  centre: Vec3;
  frames: number;
  fps: number;
}): RigPoses['gaze'] {
  const { rng, gaze, objects, frames, fps } = opts;
  if (gaze.target === 'centre' || objects.length === 0) {
    return Array.from({ length: frames }, () => ({
      point: opts.centre,
      object: null,
      saccade: false,
    }));
  }
  const duration = frames / fps;
  // Saccade onsets, each with the object it lands on.
  const jumps: { t: number; from: number; to: number }[] = [];
  let current = rng.int(0, objects.length - 1);
  const first = current;
  if (gaze.saccade_rate_hz > 0 && objects.length > 1) {
    for (
      let t = -Math.log(1 - rng.next()) / gaze.saccade_rate_hz;
      t < duration;
      t += -Math.log(1 - rng.next()) / gaze.saccade_rate_hz
    ) {
      const next = (current + rng.int(1, objects.length - 1)) % objects.length;
      jumps.push({ t, from: current, to: next });
      current = next;
    }
  }
  return Array.from({ length: frames }, (_, f) => {
    const t = f / fps;
    let target = first;
    for (const j of jumps) {
      if (t < j.t) break;
      const s = gaze.saccade_duration_s > 0 ? (t - j.t) / gaze.saccade_duration_s : 1;
      if (s < 1) {
        const a = objects[j.from]!.centres[f]!;
        const b = objects[j.to]!.centres[f]!;
        const k = minJerk(s);
        return {
          point: [0, 1, 2].map((i) => a[i]! + k * (b[i]! - a[i]!)) as Vec3,
          object: objects[j.to]!.id,
          saccade: true,
        };
      }
      target = j.to;
    }
    return { point: objects[target]!.centres[f]!, object: objects[target]!.id, saccade: false };
  });
}

/**
 * Samples a trajectory and returns both eyes' world_from_camera per frame. The rig is parallel and
 * rectified: the right camera is the left one moved +baseline along its own x axis.
 */
export function sampleRig(opts: {
  rng: Rng;
  trajectory: TrajectorySpec;
  gaze: Spec['camera']['gaze'];
  objects: GazeCandidate[];
  jitterDeg: number;
  frames: number;
  fps: number;
  baseline: number;
}): RigPoses {
  const { rng, trajectory: tr, frames, fps } = opts;
  const path = rng.fork('path');
  let eyeAt: (t: number) => vec3;
  let record: Record<string, unknown>;
  const target = path.range(tr.target_height_m);

  if (tr.kind === 'orbit') {
    const radius = path.range(tr.radius_m);
    const height = path.range(tr.height_m);
    const speed = path.range(tr.speed_deg_s) * (path.bool() ? 1 : -1) * DEG;
    const theta0 = path.uniform(0, 2 * Math.PI);
    record = {
      radius_m: radius,
      height_m: height,
      speed_deg_s: speed / DEG,
      theta0_deg: theta0 / DEG,
    };
    eyeAt = (t) => [
      radius * Math.cos(theta0 + speed * t),
      height,
      radius * Math.sin(theta0 + speed * t),
    ];
  } else if (tr.kind === 'walk') {
    const speed = path.range(tr.speed_m_s);
    const height = path.range(tr.eye_height_m);
    const pass = path.range(tr.pass_distance_m);
    const bob = path.range(tr.bob_m);
    const stepHz = path.range(tr.step_hz);
    const heading = path.uniform(0, 2 * Math.PI);
    const duration = frames / fps;
    // A straight line whose closest approach to the centre (at mid-sequence) is `pass` metres.
    const dir: Vec3 = [Math.cos(heading), 0, Math.sin(heading)];
    const side: Vec3 = [-dir[2], 0, dir[0]];
    record = {
      speed_m_s: speed,
      eye_height_m: height,
      pass_distance_m: pass,
      bob_m: bob,
      step_hz: stepHz,
      heading_deg: heading / DEG,
    };
    eyeAt = (t) => {
      const s = speed * (t - duration / 2);
      return [
        side[0] * pass + dir[0] * s,
        height + bob * Math.sin(2 * Math.PI * stepHz * t),
        side[2] * pass + dir[2] * s,
      ];
    };
  } else {
    const dist = path.range(tr.distance_m);
    const height = path.range(tr.height_m);
    const az = path.uniform(0, 2 * Math.PI);
    record = { distance_m: dist, height_m: height, azimuth_deg: az / DEG };
    eyeAt = () => [dist * Math.cos(az), height, dist * Math.sin(az)];
  }

  const gaze = sampleGaze({
    rng: rng.fork('gaze'),
    gaze: opts.gaze,
    objects: opts.objects,
    centre: [0, target, 0],
    frames,
    fps,
  });
  const jitter = opts.jitterDeg > 0 ? jitterFn(rng.fork('jitter'), opts.jitterDeg) : undefined;
  const toRight = mat4.fromTranslation(mat4.create(), [opts.baseline, 0, 0]);
  const left: Mat4[] = [];
  const right: Mat4[] = [];
  for (let f = 0; f < frames; f++) {
    const t = f / fps;
    const m = lookAtOpenCV(eyeAt(t), gaze[f]!.point);
    if (jitter) mat4.multiply(m, m, jitter(t));
    left.push(toRowMajor(m));
    right.push(toRowMajor(mat4.multiply(mat4.create(), m, toRight)));
  }
  return {
    trajectory: {
      kind: tr.kind,
      ...record,
      target_height_m: target,
      jitter_deg: opts.jitterDeg,
      gaze: opts.gaze,
    },
    gaze,
    left,
    right,
  };
}
