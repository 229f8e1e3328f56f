import { Rng } from '../core/rng.ts';
import { sampleRig } from './camera.ts';
import { CATEGORIES, categoryIndex } from './categories.ts';
import {
  hslHex,
  sampleDetailMaterial,
  sampleGroundMaterial,
  sampleObjectMaterial,
} from './materials.ts';
import type { Spec } from './spec.ts';
import type {
  BackgroundRecord,
  CameraRecord,
  LightRecord,
  ObjectRecord,
  Pose,
  Quat,
  SceneRecord,
  Vec3,
} from './types.ts';

const DEG = Math.PI / 180;

/** Pinhole intrinsics in the OpenCV convention: pixel centres at integer coordinates. */
export function intrinsics(width: number, height: number, fovYDeg: number) {
  const fy = height / 2 / Math.tan((fovYDeg * DEG) / 2);
  return { fx: fy, fy, cx: (width - 1) / 2, cy: (height - 1) / 2 };
}

const yawQuat = (yaw: number): Quat => [0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)];

function sampleObjects(rng: Rng, spec: Spec): ObjectRecord[] {
  const o = spec.objects;
  const count = rng.int(o.count[0], o.count[1]);
  const placed: { x: number; z: number; r: number }[] = [];
  const objects: ObjectRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.fork(`object/${i}`);
    const category = CATEGORIES[categoryIndex(r.pick(o.categories))]!;
    const scale = r.range(o.scale);
    const footprint = 0.55 * scale;
    // Rejection sampling for a free spot; after many misses accept overlap rather than fail.
    let x = 0;
    let z = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      const rad = o.area_radius_m * Math.sqrt(r.next());
      const ang = r.uniform(0, 2 * Math.PI);
      x = rad * Math.cos(ang);
      z = rad * Math.sin(ang);
      if (placed.every((p) => Math.hypot(p.x - x, p.z - z) > p.r + footprint)) break;
    }
    placed.push({ x, z, r: footprint });
    const yaw0 = r.uniform(0, 2 * Math.PI);
    const moving = r.bool(o.motion.p_moving);
    const speed = moving ? r.range(o.motion.speed_m_s) : 0;
    const heading = r.uniform(0, 2 * Math.PI);
    const velocity: Vec3 = [speed * Math.cos(heading), 0, speed * Math.sin(heading)];
    const yawRate = moving ? r.range(o.motion.yaw_rate_deg_s) * DEG : 0;
    const kind = !moving
      ? 'static'
      : speed > 0 && yawRate !== 0
        ? 'linear+spin'
        : speed > 0
          ? 'linear'
          : 'spin';
    const poses: Pose[] = [];
    for (let f = 0; f < spec.frames; f++) {
      const t = f / spec.fps;
      poses.push({
        position: [x + velocity[0] * t, 0, z + velocity[2] * t],
        quaternion: yawQuat(yaw0 + yawRate * t),
      });
    }
    const hue = r.next();
    objects.push({
      id: i + 1,
      category: category.name,
      category_index: categoryIndex(category.name),
      diagnostic_part: category.diagnosticPart,
      scale,
      parts: category.build(r.fork('parts')),
      materials: {
        primary: sampleObjectMaterial(r.fork('primary'), { hue }),
        secondary: sampleObjectMaterial(r.fork('secondary'), { hue: (hue + 0.5) % 1 }),
        detail: sampleDetailMaterial(r.fork('detail')),
      },
      motion: { kind, velocity, yaw_rate: yawRate },
      poses,
    });
  }
  return objects;
}

function sampleBackground(rng: Rng, spec: Spec): BackgroundRecord {
  const kind = rng.pick(spec.background.kinds);
  const ground = rng.pick(spec.background.grounds);
  const sky = hslHex(rng.uniform(0.55, 0.62), rng.uniform(0.3, 0.7), rng.uniform(0.6, 0.85));
  if (kind === 'room') {
    const wallHue = rng.next();
    return {
      kind,
      name: `room-${ground}`,
      sky_color: sky,
      ground: sampleGroundMaterial(rng.fork('ground'), ground),
      room_size: [rng.uniform(10, 16), rng.uniform(3, 5), rng.uniform(10, 16)],
      wall: {
        ...sampleObjectMaterial(rng.fork('wall'), { hue: wallHue }),
        color: hslHex(wallHue, 0.2, rng.uniform(0.6, 0.85)),
      },
    };
  }
  return {
    kind,
    name: ground,
    sky_color: sky,
    ground: sampleGroundMaterial(rng.fork('ground'), ground),
  };
}

function sampleLights(rng: Rng, spec: Spec): LightRecord[] {
  const l = spec.lighting;
  const elev = rng.range(l.sun_elevation_deg) * DEG;
  const az = rng.uniform(0, 2 * Math.PI);
  return [
    {
      kind: 'hemisphere',
      sky_color: hslHex(0.58, 0.4, 0.85),
      ground_color: hslHex(0.1, 0.3, 0.35),
      intensity: rng.range(l.ambient_intensity),
    },
    {
      kind: 'directional',
      color: hslHex(rng.uniform(0.08, 0.14), rng.uniform(0, 0.5), 0.95),
      intensity: rng.range(l.sun_intensity),
      direction: [Math.cos(elev) * Math.cos(az), Math.sin(elev), Math.cos(elev) * Math.sin(az)],
      cast_shadow: l.shadows,
    },
  ];
}

/**
 * The scene of sequence `index`: a pure function of (spec, index). Each part of the scene draws
 * from its own forked stream, so changing e.g. the camera spec leaves the objects unchanged.
 */
export function sampleScene(spec: Spec, index: number): SceneRecord {
  const rng = new Rng(spec.seed).fork(`sequence/${index}`);
  const rig = sampleRig({
    rng: rng.fork('camera'),
    trajectory: spec.camera.trajectory,
    jitterDeg: spec.camera.jitter_deg,
    frames: spec.frames,
    fps: spec.fps,
    baseline: spec.camera.baseline_m,
  });
  const camera: CameraRecord = {
    width: spec.width,
    height: spec.height,
    fov_y_deg: spec.camera.fov_y_deg,
    near: spec.camera.near,
    far: spec.camera.far,
    baseline_m: spec.camera.baseline_m,
    K: intrinsics(spec.width, spec.height, spec.camera.fov_y_deg),
    trajectory: rig.trajectory,
    world_from_camera: { left: rig.left, right: rig.right },
  };
  return {
    format: 'datadiet.scene/1',
    index,
    dataset_seed: spec.seed,
    seed: rng.streamSeed,
    frames: spec.frames,
    fps: spec.fps,
    camera,
    objects: sampleObjects(rng.fork('objects'), spec),
    background: sampleBackground(rng.fork('background'), spec),
    lights: sampleLights(rng.fork('lights'), spec),
    render: { shadows: spec.lighting.shadows, antialias: spec.render.antialias },
  };
}
