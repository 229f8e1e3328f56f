import { Rng } from '../core/index.ts';
import { sampleRig } from './camera.ts';
import { CATEGORIES, categoryIndex, objectBounds } from './categories.ts';
import { assetFiles, categoryTable, loadSplatFile, placeAsset } from './assets.ts';
import { dropInit, loadPhysics, simulateDrop } from './physics.ts';
import { add, qmul, rotate, rotX, rotY, rotZ } from './matrix.ts';
import {
  hslHex,
  sampleDetailMaterial,
  sampleGroundMaterial,
  sampleObjectMaterial,
  signatureMaterial,
} from './materials.ts';
import type { AssetSpec, Spec } from './spec.ts';
import type {
  CategoryDef,
  BackgroundRecord,
  CameraRecord,
  SplatRecord,
  LightRecord,
  MaterialRecord,
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

/** Centre of an object's bounding box in the world, at each of its poses (the point eyes fixate). */
const boundsOf = (o: ObjectRecord) => o.asset?.bounds ?? objectBounds(o.parts);

function worldCentres(o: ObjectRecord): Vec3[] {
  const b = boundsOf(o);
  const c = [0, 1, 2].map((i) => ((b.min[i]! + b.max[i]!) / 2) * o.scale);
  return o.poses.map((pose) => add(pose.position, rotate(pose.quaternion, c as Vec3)));
}

function boundingRadius(o: ObjectRecord): number {
  const b = boundsOf(o);
  const far = [0, 1, 2].map((i) => Math.max(Math.abs(b.min[i]!), Math.abs(b.max[i]!)));
  return Math.hypot(...far) * o.scale;
}

interface Placed {
  rng: Rng;
  /** A procedural category, or a user asset (entry and the file chosen from it). */
  category: CategoryDef | null;
  asset: { entry: AssetSpec; file: string } | null;
  scale: number;
  x: number;
  z: number;
}

/** Categories and spots on the ground, kept apart by their footprints where there is room. */
function placeObjects(rng: Rng, spec: Spec): Placed[] {
  const o = spec.objects;
  const count = rng.int(o.count[0], o.count[1]);
  const placed: Placed[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.fork(`object/${i}`);
    // Assets draw from their own stream, so specs without assets sample exactly as before.
    const ar = r.fork('asset');
    const asset =
      o.assets && ar.bool(o.asset_probability ?? 1)
        ? (() => {
            const entry = ar.pick(o.assets);
            return { entry, file: ar.pick(assetFiles(entry.path)) };
          })()
        : null;
    const category = asset ? null : CATEGORIES[categoryIndex(r.pick(o.categories))]!;
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
      if (placed.every((p) => Math.hypot(p.x - x, p.z - z) > 0.55 * p.scale + footprint)) break;
    }
    placed.push({ rng: r, category, asset, scale, x, z });
  }
  return placed;
}

function kinematicPoses(
  p: Placed,
  spec: Spec,
  m: Extract<Spec['objects']['motion'], { kind: 'kinematic' }>,
) {
  const r = p.rng.fork('motion');
  const yaw0 = r.uniform(0, 2 * Math.PI);
  const moving = r.bool(m.p_moving);
  const speed = moving ? r.range(m.speed_m_s) : 0;
  const heading = r.uniform(0, 2 * Math.PI);
  const velocity: Vec3 = [speed * Math.cos(heading), 0, speed * Math.sin(heading)];
  const yawRate = moving ? r.range(m.yaw_rate_deg_s) * DEG : 0;
  const kind: ObjectRecord['motion']['kind'] = !moving
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
      position: [p.x + velocity[0] * t, 0, p.z + velocity[2] * t],
      quaternion: yawQuat(yaw0 + yawRate * t),
    });
  }
  return { motion: { kind, velocity, yaw_rate: yawRate }, poses };
}

function sampleObjects(
  rng: Rng,
  spec: Spec,
): { objects: ObjectRecord[]; collisions: SceneRecord['collisions'] } {
  const o = spec.objects;
  const placed = placeObjects(rng, spec);
  const labels = categoryTable(spec);
  const hulls = new Map<number, Float32Array>();
  const objects: ObjectRecord[] = placed.map((p, i) => {
    const r = p.rng;
    if (p.asset) {
      const { record, hullPoints, baseColor } = placeAsset(p.asset);
      hulls.set(i + 1, hullPoints);
      const skin = assetMaterial(baseColor);
      return {
        id: i + 1,
        category: p.asset.entry.category,
        category_index: labels.find((c) => c.name === p.asset!.entry.category)!.index,
        diagnostic_part: p.asset.entry.part_node ?? '',
        scale: p.scale,
        parts: [],
        materials: { primary: skin, secondary: skin, detail: skin },
        texture_category: null,
        texture_category_index: null,
        cue_conflict: false,
        motion: { kind: 'static', velocity: [0, 0, 0], yaw_rate: 0 },
        poses: [],
        asset: record,
      };
    }
    const category = p.category!;
    const shapeIndex = categoryIndex(category.name);
    let textureIndex: number | null = null;
    if (o.texture === 'category') {
      textureIndex = shapeIndex;
      if (r.fork('cue').bool(o.cue_conflict)) {
        const others = o.categories.map(categoryIndex).filter((c) => c !== shapeIndex);
        textureIndex = r.fork('cue-category').pick(others);
      }
    }
    const hue = r.next();
    const skin = (label: string, h: number) =>
      textureIndex === null
        ? sampleObjectMaterial(r.fork(label), { hue: h })
        : signatureMaterial(r.fork(label), textureIndex);
    return {
      id: i + 1,
      category: category.name,
      category_index: shapeIndex,
      diagnostic_part: category.diagnosticPart,
      scale: p.scale,
      parts: category.build(r.fork('parts')),
      materials: {
        primary: skin('primary', hue),
        secondary: skin('secondary', (hue + 0.5) % 1),
        detail: sampleDetailMaterial(r.fork('detail')),
      },
      texture_category: textureIndex === null ? null : CATEGORIES[textureIndex]!.name,
      texture_category_index: textureIndex,
      cue_conflict: textureIndex !== null && textureIndex !== shapeIndex,
      motion: { kind: 'static', velocity: [0, 0, 0], yaw_rate: 0 },
      poses: [],
    };
  });

  const m = o.motion;
  if (m.kind === 'kinematic') {
    objects.forEach((obj, i) => Object.assign(obj, kinematicPoses(placed[i]!, spec, m)));
    return { objects, collisions: [] };
  }
  const sim = simulateDrop({
    physics: m,
    frames: spec.frames,
    fps: spec.fps,
    bodies: objects.map((obj, i) => ({
      id: obj.id,
      parts: obj.parts,
      scale: obj.scale,
      ...(obj.asset
        ? {
            asset: {
              collider: obj.asset.collider,
              hullPoints: hulls.get(obj.id)!,
              bounds: obj.asset.bounds,
            },
          }
        : {}),
      ...dropInit({
        rng: placed[i]!.rng.fork('drop'),
        physics: m,
        x: placed[i]!.x,
        z: placed[i]!.z,
        layer: i,
        radius: boundingRadius(obj),
      }),
    })),
  });
  for (const obj of objects) {
    obj.poses = sim.poses.get(obj.id)!;
    obj.motion = { kind: 'physics', velocity: [0, 0, 0], yaw_rate: 0 };
  }
  return { objects, collisions: sim.events };
}

/** The splat backdrop of every sequence (the same capture; the record says where it sits). */
function splatRecord(spec: Spec): SplatRecord | undefined {
  const sp = spec.background.splat;
  if (!sp) return undefined;
  const { sha256, format } = loadSplatFile(sp);
  const [rx, ry, rz] = sp.transform.rotation_deg.map((d) => d * DEG) as Vec3;
  return {
    source: sp.path,
    sha256,
    format,
    position: sp.transform.position,
    // three's default Euler order 'XYZ': R = Rx · Ry · Rz.
    quaternion: qmul(qmul(rotX(rx), rotY(ry)), rotZ(rz)),
    scale: sp.transform.scale,
    show_ground: sp.show_ground,
  };
}

function sampleBackground(
  rng: Rng,
  spec: Spec,
  firstCategory: number | undefined,
): BackgroundRecord {
  const splat = splatRecord(spec);
  return splat
    ? { ...sampleGround(rng, spec, firstCategory), splat }
    : sampleGround(rng, spec, firstCategory);
}

function sampleGround(rng: Rng, spec: Spec, firstCategory: number | undefined): BackgroundRecord {
  const b = spec.background;
  const kind = rng.pick(b.kinds);
  // Shortcut knob: each category has a home ground; with probability ρ the scene is set there.
  const correlated =
    firstCategory !== undefined && rng.fork('shortcut').bool(b.category_correlation);
  const ground = correlated ? homeGround(spec, firstCategory) : rng.pick(b.grounds);
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
      correlated,
    };
  }
  return {
    kind,
    name: ground,
    sky_color: sky,
    ground: sampleGroundMaterial(rng.fork('ground'), ground),
    correlated,
  };
}

/**
 * What a user asset reports as its materials: its first glTF material's base colour (the asset
 * draws with its own materials; this record is for labels and captions).
 */
function assetMaterial(color: string | null): MaterialRecord {
  const c = color ?? '#808080';
  return {
    color: c,
    pattern: 'solid',
    pattern_color: c,
    pattern_scale: 1,
    pattern_seed: 0,
    roughness: 1,
    metalness: 0,
  };
}

/** The home ground of a category under the shortcut knob (spread over the spec's grounds). */
export function homeGround(spec: Spec, categoryIndexValue: number): string {
  const grounds = spec.background.grounds;
  return grounds[categoryIndexValue % grounds.length]!;
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
  const { objects, collisions } = sampleObjects(rng.fork('objects'), spec);
  const rig = sampleRig({
    rng: rng.fork('camera'),
    trajectory: spec.camera.trajectory,
    gaze: spec.camera.gaze,
    objects: objects.map((o) => ({ id: o.id, centres: worldCentres(o) })),
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
    gaze: rig.gaze,
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
    objects,
    background: sampleBackground(rng.fork('background'), spec, objects[0]?.category_index),
    lights: sampleLights(rng.fork('lights'), spec),
    render: { shadows: spec.lighting.shadows, antialias: spec.render.antialias },
    collisions,
  };
}

/**
 * Loads what `sampleScene` needs for this spec (Rapier's WebAssembly for physics scenes) and
 * returns the sha256 of every input file it read (asset and splat paths → digest): the spec
 * names files, these say what was in them.
 */
export async function prepareSampler(spec: Spec): Promise<Record<string, string>> {
  if (spec.objects.motion.kind === 'physics') await loadPhysics();
  // Read and check every asset now, so a bad file fails before any rendering starts.
  const inputs: Record<string, string> = {};
  for (const entry of spec.objects.assets ?? [])
    for (const file of assetFiles(entry.path))
      inputs[file] = placeAsset({ entry, file }).record.sha256;
  if (spec.background.splat)
    inputs[spec.background.splat.path] = loadSplatFile(spec.background.splat).sha256;
  return inputs;
}
