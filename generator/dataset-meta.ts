import { createHash } from 'node:crypto';
import {
  EYES,
  LAYERS,
  layerShape,
  type LayerName,
  SHARDS_DIR,
  stableJson,
  type Manifest,
  type ShardRecord,
  type KnownFields,
  type SampleJson,
} from '../output/index.ts';
import {
  CATEGORIES,
  homeGround,
  intrinsics,
  categoryTable,
  type Spec,
  type SceneRecord,
} from '../scenes/index.ts';
import { assetsManifest } from './assets-meta.ts';
import { EXTRA_MEMBERS, extrasManifest } from './sample-extras.ts';
import type { RendererRecord } from './gl.ts';

// 1.1: adds the `.motion.npy` and `.txt` members (self-motion signals, captions).
// 1.2: `valid` and `occlusion` layers (valid is a default), normals face the camera at
// silhouettes, shard `file` is a path relative to manifest.json, manifest `camera`, `shapes` and
// `units` blocks, independent RNG streams and the room floor fix (different bytes for the same
// spec). Readers keep reading 1.0/1.1 (a bare shard `file` lives in shards/).
export const FORMAT_VERSION = '1.2';

/** Written into the manifest so no user has to guess a convention. */
export const CONVENTIONS = {
  world: 'metres; y up; the ground is the plane y = 0',
  pixels: 'pixel (0,0) is top-left, rows top-down; pixel centres at integer coordinates',
  camera: 'OpenCV camera frame: x right, y down, z forward; world_from_camera is 4x4 row-major',
  intrinsics: 'K = [[fx,0,cx],[0,fy,cy],[0,0,1]]; cx = (W-1)/2, cy = (H-1)/2',
  stereo:
    'parallel, rectified rig: right camera = left camera moved +baseline_m along its own x axis; disparity d = fx*B/Z; a point at x_left appears at x_right = x_left - d',
  depth:
    'z-depth along the optical axis in metres (not distance along the ray); pixels with no surface hold depth_far',
  seg: 'instance id per pixel; 0 = background (ground, walls, sky); ids match objects[].id in the sample JSON',
  parts: "1 where the pixel shows its object's diagnostic part (synthetic ClickMe-like importance)",
  poses:
    'objects[].poses[t] = world_from_object (position in metres, quaternion x,y,z,w); parts are scaled by objects[].scale',
  time: 'frame t is at time t / fps seconds',
  flow: 'forward flow t→t+1 in pixels (dx right, dy down) from the true 3D motion of each surface point; last frame zeros',
  normal:
    'int8 unit normal × 127 in the OpenCV camera frame, facing the camera (n · ray < 0 at every pixel: smooth-shading normals that lean away at silhouettes are bent towards the viewer to n·v = 0.05); 0 where no surface',
  valid:
    '1 = the pixel shows a surface, 0 = it shows none (sky, splat backdrop: depth holds depth_far, seg 0, normal 0, flow = camera rotation only). Test the sky with valid, not depth: the far ground can have depth slightly above depth_far',
  occlusion:
    '0 = the point seen at t is visible at t+1 (flow can be checked there), 1 = hidden at t+1 behind another surface, 2 = out of view at t+1 (leaves the image or passes behind the near plane); last frame zeros. Derived from depth, seg, valid and the exact poses: the point is hidden when all 4 pixels around where it lands at t+1 are nearer than it by > 0.1 % + 0.1 mm',
  parts_pose:
    'objects[].parts[k]: position (metres, object frame, before objects[].scale) and rotation quaternion (x, y, z, w); world point = world_from_object[t] · (scale · (R(rotation) · p_shape + position)); glTF assets have no parts (objects[].asset)',
  quaternion: 'every quaternion is (x, y, z, w), Hamilton convention, unit length, active rotation',
  shards:
    'shards[].file is a path relative to manifest.json (shards/shard-000000.tar); datasets before 1.2 list a bare name that lives in shards/',
  gaze: 'camera.gaze[t] = {point: fixated world point, object: fixated object id or null (scene centre), saccade: mid-saccade}',
  collisions:
    'contacts that started at frame t between objects a < b (0 = floor), physics scenes only',
  motion:
    '<key>.motion.npy float32 [T, C]: self-motion of the cyclopean head (columns, units, frames and the difference scheme in manifest.motion)',
  caption: '<key>.txt: a true templated caption from the scene record (manifest.caption)',
} as const;

/**
 * What must match for a rerun to reuse shards: the format, the generator, the full spec, the
 * contents of the input files it names (path → sha256; left out when there are none, so datasets
 * without assets keep their fingerprints) and the WebGL renderer string (output is byte-identical
 * only per renderer, so one dataset never mixes two; left out when unknown).
 */
export function datasetFingerprint(
  spec: Spec,
  generatorVersion: string,
  inputs: Record<string, string> = {},
  renderer?: string,
): string {
  const what = {
    format_version: FORMAT_VERSION,
    generator: generatorVersion,
    spec,
    ...(renderer === undefined ? {} : { renderer }),
  };
  return createHash('sha256')
    .update(stableJson(Object.keys(inputs).length ? { ...what, inputs } : what))
    .digest('hex');
}

export function sequenceKey(index: number): string {
  return `seq-${String(index).padStart(8, '0')}`;
}

/** The per-sample JSON member: the scene record plus the summary fields readers want first. */
export function sampleJson(rec: SceneRecord) {
  return {
    format: 'datadiet.sample/1',
    key: sequenceKey(rec.index),
    index: rec.index,
    seed: rec.seed,
    dataset_seed: rec.dataset_seed,
    T: rec.frames,
    fps: rec.fps,
    H: rec.camera.height,
    W: rec.camera.width,
    baseline_m: rec.camera.baseline_m,
    K: rec.camera.K,
    depth_far: rec.camera.far,
    camera: rec.camera,
    objects: rec.objects,
    background: rec.background,
    lights: rec.lights,
    render: rec.render,
    collisions: rec.collisions,
  } satisfies KnownFields<SampleJson>;
}

/** Each primitive's parameters and axes, in the part's own frame (scenes/types.ts PrimitiveShape). */
export const SHAPES = {
  box: 'size [x, y, z]: full extents along the local axes, centred on the origin',
  sphere: 'radius, centred on the origin',
  cylinder:
    'radiusTop (at +y), radiusBottom (at −y), height: axis along local y, centred on the origin; radiusTop 0 is a cone',
  capsule:
    'radius, length: axis along local y, centred on the origin; the cap centres are at y = ±length/2, total length = length + 2·radius',
  torus:
    'radius (centre of the tube), tube (tube radius), arc (radians, 2π = closed): ring in the local x–y plane around the origin, starting at +x and turning towards +y',
} as const;

export const UNITS = {
  length: 'metres (world, depth, positions, baseline_m)',
  angle: 'radians in records (yaw_rate, torus arc), degrees where the name says _deg',
  time: 'seconds; frame t is at t / fps',
  flow: 'pixels per frame',
  velocity: 'metres per second (objects[].motion.velocity), radians per second (yaw_rate)',
} as const;

/** The camera every sample shares: the spec fixes it, so a reader need not open a sample. */
export function cameraManifest(spec: Spec) {
  const K = intrinsics(spec.width, spec.height, spec.camera.fov_y_deg);
  return {
    width: spec.width,
    height: spec.height,
    fov_y_deg: spec.camera.fov_y_deg,
    K,
    K_matrix: [
      [K.fx, 0, K.cx],
      [0, K.fy, K.cy],
      [0, 0, 1],
    ],
    baseline_m: spec.camera.baseline_m,
    near: spec.camera.near,
    far: spec.camera.far,
    constant: 'the same for every sample and both eyes (each sample JSON repeats it)',
  };
}

/** The manifest, typed by output/manifest-schema.ts (the type every reader gets from readManifest). */
export function buildManifest(opts: {
  spec: Spec;
  generatorVersion: string;
  fingerprint: string;
  shards: ShardRecord[];
  /** The WebGL renderer every shard was made with (`--gl`, the unmasked renderer string). */
  renderer?: RendererRecord | undefined;
}): Manifest {
  const { spec } = opts;
  const layers = LAYERS.filter((l) => spec.layers.includes(l.name as LayerName)).map((l) => ({
    name: l.name,
    dtype: l.dtype,
    shape: layerShape(l.name, spec.frames, spec.width, spec.height),
    members: EYES.map((e) => `${e}.${l.name}.npy`),
    description: l.description,
  }));
  return {
    format_version: FORMAT_VERSION,
    generator: { name: 'datadiet', version: opts.generatorVersion },
    name: spec.name,
    seed: spec.seed,
    fingerprint: opts.fingerprint,
    // A copy: the schema's loose object type wants a plain object, not the interface.
    ...(opts.renderer ? { renderer: { ...opts.renderer } } : {}),
    sequences: spec.sequences,
    frames: spec.frames,
    fps: spec.fps,
    width: spec.width,
    height: spec.height,
    eyes: [...EYES],
    layers,
    dtypes: Object.fromEntries(layers.map((l) => [l.name, l.dtype])),
    depth_far: spec.camera.far,
    camera: cameraManifest(spec),
    // Procedural categories, then user glTF asset categories (scenes/assets.ts categoryTable).
    categories: categoryTable(spec).map((c) =>
      c.source === 'asset'
        ? c
        : { index: c.index, name: c.name, diagnostic_part: c.diagnostic_part },
    ),
    ...assetsManifest(spec),
    conventions: CONVENTIONS,
    shapes: SHAPES,
    units: UNITS,
    sample_members: ['json', ...layers.flatMap((l) => l.members), ...EXTRA_MEMBERS],
    ...extrasManifest(spec.frames),
    shortcut: {
      category_correlation: spec.background.category_correlation,
      home_grounds: Object.fromEntries(
        CATEGORIES.map((c, i) => [c.name, homeGround(spec, i)]).filter(([c]) =>
          spec.objects.categories.includes(c!),
        ),
      ),
    },
    cue_conflict: { texture: spec.objects.texture, probability: spec.objects.cue_conflict },
    spec,
    // Paths relative to manifest.json, so a reader joins them without guessing the folder.
    shards: opts.shards.map((r) => ({ ...r, file: `${SHARDS_DIR}/${r.file}` })),
    total_bytes: opts.shards.reduce((s, r) => s + r.bytes, 0),
  };
}
