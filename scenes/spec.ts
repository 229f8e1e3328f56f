import { z } from 'zod';
import { DEFAULT_LAYERS, LAYER_NAMES, type LayerName } from '../output/index.ts';
import { CATEGORY_NAMES } from './categories.ts';

/**
 * The dataset spec: the single source of truth for what a dataset holds. JSON files, presets and
 * CLI flags all end up here; `SpecSchema.parse` applies defaults and every cross-field rule.
 */

/** A [min, max] range to sample from; a single number means a fixed value. */
const anyRange = (value: z.ZodNumber, def: [number, number]) =>
  z
    .preprocess((v) => (typeof v === 'number' ? [v, v] : v), z.tuple([value, value]))
    .refine((r) => r[0] <= r[1], { message: 'range must be [min, max] with min ≤ max' })
    .default(def);
const range = (min: number, max: number, def: [number, number]) =>
  anyRange(z.number().min(min).max(max), def);
const intRange = (min: number, max: number, def: [number, number]) =>
  anyRange(z.number().int().min(min).max(max), def);

const OrbitSchema = z.strictObject({
  kind: z.literal('orbit'),
  radius_m: range(0.5, 50, [2.2, 3.4]),
  height_m: range(0.1, 20, [0.8, 1.6]),
  /** Angular speed around the scene centre, degrees per second (sign = direction). */
  speed_deg_s: range(-180, 180, [6, 20]),
  target_height_m: range(0, 5, [0.3, 0.6]),
});

const WalkSchema = z.strictObject({
  kind: z.literal('walk'),
  speed_m_s: range(0, 5, [0.5, 1.2]),
  eye_height_m: range(0.1, 5, [1.1, 1.6]),
  /** Closest distance of the straight walking line to the scene centre. */
  pass_distance_m: range(0.5, 50, [2.5, 3.5]),
  /** Vertical head bob per step. */
  bob_m: range(0, 0.2, [0.01, 0.03]),
  step_hz: range(0, 5, [1.6, 2.0]),
  target_height_m: range(0, 5, [0.3, 0.6]),
});

const StaticSchema = z.strictObject({
  kind: z.literal('static'),
  distance_m: range(0.5, 50, [2, 3.2]),
  height_m: range(0.1, 20, [1.0, 1.6]),
  target_height_m: range(0, 5, [0.3, 0.6]),
});

export const TrajectorySchema = z.discriminatedUnion('kind', [
  OrbitSchema,
  WalkSchema,
  StaticSchema,
]);
export type TrajectorySpec = z.infer<typeof TrajectorySchema>;
export const TRAJECTORY_KINDS = ['orbit', 'walk', 'static'] as const;

// Ten grounds for ten categories, so a full background–category correlation can give every
// category a background of its own.
export const GROUND_KINDS = [
  'grass',
  'sand',
  'asphalt',
  'snow',
  'soil',
  'tiles',
  'gravel',
  'moss',
  'clay',
  'marble',
] as const;

const GazeSchema = z.strictObject({
  /** What the eyes fixate: the scene centre, or the objects (with saccades between them). */
  target: z.enum(['centre', 'objects']).default('centre'),
  /** Mean rate of saccades between objects (Poisson); 0 keeps the first fixation. */
  saccade_rate_hz: z.number().min(0).max(10).default(0),
  /** Duration of one saccade (minimum-jerk profile); human saccades take 20–80 ms. */
  saccade_duration_s: z.number().min(0).max(1).default(0.05),
});

const CameraSchema = z
  .strictObject({
    fov_y_deg: z.number().gt(5).lt(150).default(50),
    baseline_m: z.number().min(0).max(10).default(0.064),
    near: z.number().positive().default(0.05),
    far: z.number().positive().default(100),
    trajectory: TrajectorySchema.prefault({ kind: 'orbit' }),
    /** Amplitude of small, smooth head rotations (degrees) added to any trajectory. */
    jitter_deg: z.number().min(0).max(30).default(0.5),
    gaze: GazeSchema.prefault({}),
  })
  .refine((c) => c.far > c.near, { message: 'far must be greater than near', path: ['far'] });

const KinematicSchema = z.strictObject({
  kind: z.literal('kinematic'),
  /** Probability that an object moves at all. */
  p_moving: z.number().min(0).max(1).default(0.5),
  speed_m_s: range(0, 10, [0.1, 0.4]),
  yaw_rate_deg_s: range(-360, 360, [-40, 40]),
});

/** MOVi-like: objects are dropped and thrown onto the floor and collide (Rapier, deterministic). */
const PhysicsSchema = z.strictObject({
  kind: z.literal('physics'),
  drop_height_m: range(0, 10, [0.2, 1.2]),
  throw_speed_m_s: range(0, 10, [0, 1.5]),
  spin_deg_s: range(0, 1080, [0, 180]),
  friction: z.number().min(0).max(2).default(0.6),
  restitution: z.number().min(0).max(1).default(0.3),
  /** Simulated seconds before the first frame (0: the sequence starts with the drop). */
  warmup_s: z.number().min(0).max(60).default(0),
});
export type PhysicsSpec = z.infer<typeof PhysicsSchema>;

/**
 * A user glTF/GLB asset (or a folder of them). `category` is a procedural category name (the asset
 * shares its label) or a new name (labels after the procedural ones, in order of first mention).
 */
const AssetSchema = z.strictObject({
  /** A .glb or .gltf file, or a folder searched recursively for them; relative to the working directory. */
  path: z.string().min(1),
  category: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'use lower-case letters, digits, - and _' }),
  /** Name of the glTF node or mesh that is the diagnostic part (drawn as 1 in `parts`). */
  part_node: z.string().min(1).optional(),
  /** Size relative to the category's (the bounding box's longest side is scaled to it). */
  scale: z.number().positive().max(100).default(1),
  /** Physics collider: convex hull of the vertices, or the bounding box. */
  collider: z.enum(['hull', 'box']).default('hull'),
});
export type AssetSpec = z.infer<typeof AssetSchema>;

const ObjectsSchema = z.strictObject({
  count: intRange(0, 64, [1, 3]),
  categories: z
    .array(
      z.string().refine((c) => CATEGORY_NAMES.includes(c), {
        message: `unknown category; known: ${CATEGORY_NAMES.join(', ')}`,
      }),
    )
    .nonempty()
    .default([...CATEGORY_NAMES] as [string, ...string[]]),
  /** Uniform scale of each object (categories are built about 1 m tall). */
  scale: range(0.05, 20, [0.6, 1.1]),
  /** Objects are placed within this radius of the scene centre. */
  area_radius_m: z.number().positive().max(100).default(1.0),
  motion: z
    .preprocess(
      // `kind` may be left out for the kinematic default.
      (v) =>
        typeof v === 'object' && v !== null && !('kind' in v) ? { kind: 'kinematic', ...v } : v,
      z.discriminatedUnion('kind', [KinematicSchema, PhysicsSchema]),
    )
    .prefault({}),
  /** 'category': every category wears its own signature texture (texture becomes a cue). */
  texture: z.enum(['random', 'category']).default('random'),
  /** Probability that an object wears another category's signature texture (shape-bias tests). */
  cue_conflict: z.number().min(0).max(1).default(0),
  /**
   * User glTF assets; each object is one of them with probability `asset_probability` (default 1).
   * Optional rather than defaulted, so specs without assets keep their fingerprint.
   */
  assets: z.array(AssetSchema).nonempty().optional(),
  asset_probability: z.number().min(0).max(1).optional(),
});

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

/**
 * A captured environment as 3D Gaussian splats, drawn behind the objects (a backdrop) instead of
 * the sky, the room and, unless `show_ground`, the ground. Physics still uses the floor y = 0:
 * align the capture's floor with it through `transform`.
 */
const SplatSchema = z.strictObject({
  /** A .ply, .splat or .spz file; relative to the working directory. */
  path: z.string().min(1),
  /** File format; by default from the file name's extension. */
  format: z.enum(['ply', 'splat', 'spz']).optional(),
  /** world_from_splat: translation (m), rotation (XYZ Euler, degrees), uniform scale. */
  transform: z
    .strictObject({
      position: vec3.default([0, 0, 0]),
      rotation_deg: vec3.default([0, 0, 0]),
      scale: z.number().positive().default(1),
    })
    .prefault({}),
  /** Also draw the procedural ground plane (with depth, shadows) over the splats. */
  show_ground: z.boolean().default(false),
});

const BackgroundSchema = z.strictObject({
  /**
   * Shortcut knob: probability that a sequence's background is the home ground of its (first)
   * object's category; 0 = independent, 1 = each category always on its own ground.
   */
  category_correlation: z.number().min(0).max(1).default(0),
  kinds: z
    .array(z.enum(['outdoor', 'room']))
    .nonempty()
    .default(['outdoor']),
  grounds: z
    .array(z.enum(GROUND_KINDS))
    .nonempty()
    .default([...GROUND_KINDS]),
  splat: SplatSchema.optional(),
});

const LightingSchema = z.strictObject({
  shadows: z.boolean().default(true),
  sun_elevation_deg: range(5, 90, [25, 70]),
  sun_intensity: range(0, 20, [1.5, 3]),
  ambient_intensity: range(0, 20, [0.6, 1.2]),
});

export const SpecSchema = z
  .strictObject({
    name: z.string().min(1).default('custom'),
    description: z.string().optional(),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    sequences: z.number().int().min(1).max(100_000_000).default(4),
    frames: z.number().int().min(1).max(100_000).default(8),
    fps: z.number().positive().max(1000).default(10),
    width: z.number().int().min(8).max(4096).default(64),
    height: z.number().int().min(8).max(4096).default(64),
    sequences_per_shard: z.number().int().min(1).max(1_000_000).default(2),
    layers: z
      .array(z.enum(LAYER_NAMES))
      .nonempty()
      .refine((ls) => new Set(ls).size === ls.length, { message: 'layers must not repeat' })
      .default([...DEFAULT_LAYERS] as [LayerName, ...LayerName[]]),
    camera: CameraSchema.prefault({}),
    objects: ObjectsSchema.prefault({}),
    background: BackgroundSchema.prefault({}),
    lighting: LightingSchema.prefault({}),
    render: z
      .strictObject({
        /** 4× MSAA on the colour layer only; ids and depth are never blended. */
        antialias: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    // Combinations that make no sense, each named at the field a user would change.
    const o = s.objects;
    const rule = (when: boolean, path: (string | number)[], message: string) => {
      if (when) ctx.addIssue({ code: 'custom', path, message });
    };
    rule(
      o.cue_conflict > 0 && o.texture !== 'category',
      ['objects', 'cue_conflict'],
      "needs objects.texture = 'category' (a conflict is a shape wearing another category's texture)",
    );
    rule(
      o.cue_conflict > 0 && o.categories.length < 2,
      ['objects', 'cue_conflict'],
      'needs at least two categories',
    );
    rule(
      s.camera.gaze.target === 'objects' && o.count[0] < 1,
      ['camera', 'gaze', 'target'],
      "'objects' needs objects.count ≥ 1 in every sequence (e.g. objects.count = [1, 3])",
    );
    rule(
      s.background.category_correlation > 0 && s.background.grounds.length < 2,
      ['background', 'category_correlation'],
      'needs at least two background.grounds to correlate with',
    );
    rule(
      s.background.category_correlation > 0 && o.count[0] < 1,
      ['background', 'category_correlation'],
      'needs objects.count ≥ 1 (the background follows the first object)',
    );
  });

/** A spec as users write it (every field optional). */
export type SpecInput = z.input<typeof SpecSchema>;
/** A spec with every default applied and every rule checked. */
export type Spec = z.infer<typeof SpecSchema>;
