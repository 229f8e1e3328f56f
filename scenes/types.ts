/**
 * Plain, serialisable scene records (the kubric `Scene` idea): everything the renderer needs to
 * draw a sequence, and everything a dataset user needs to interpret it. No three.js here.
 *
 * World frame: metres, y up, ground plane y = 0. Camera poses use the OpenCV camera frame
 * (x right, y down, z forward). Matrices are 4×4 row-major nested arrays, so `np.array(m)` in
 * Python is the matrix itself.
 */

export type Vec3 = [number, number, number];
/** Unit quaternion (x, y, z, w). */
export type Quat = [number, number, number, number];
/** 4×4 row-major. */
export type Mat4 = number[][];

/** Geometric primitives the renderer knows. Axes are the part's local axes. */
export type PrimitiveShape =
  /** Full extents along x, y, z. */
  | { kind: 'box'; size: Vec3 }
  | { kind: 'sphere'; radius: number }
  /** Axis along local y, centred on the origin; radiusTop 0 makes a cone. */
  | { kind: 'cylinder'; radiusTop: number; radiusBottom: number; height: number }
  /** Axis along local y, centred; total length = length + 2·radius. */
  | { kind: 'capsule'; radius: number; length: number }
  /** Ring in the local x–y plane around the origin; `arc` in radians (2π = closed). */
  | { kind: 'torus'; radius: number; tube: number; arc: number };

/** Which of an object's materials a part wears. */
export type MaterialSlot = 'primary' | 'secondary' | 'detail';

export interface PartRecord {
  /** e.g. 'head', 'leg-front-left', 'wheel-rear-right'. */
  name: string;
  shape: PrimitiveShape;
  /** Pose in the object frame (metres, before the object's scale). */
  position: Vec3;
  rotation: Quat;
  material: MaterialSlot;
  /** True for the meshes that make up the category's diagnostic part. */
  diagnostic: boolean;
}

export type PatternKind = 'solid' | 'stripes' | 'checker' | 'dots' | 'noise';

export interface MaterialRecord {
  /** sRGB hex, '#rrggbb'. */
  color: string;
  pattern: PatternKind;
  pattern_color: string;
  /** Pattern repeats per texture (UV) unit. */
  pattern_scale: number;
  /** Seed of the procedural pattern (noise), so the page draws the same texture every time. */
  pattern_seed: number;
  roughness: number;
  metalness: number;
}

export interface Pose {
  position: Vec3;
  quaternion: Quat;
}

export interface ObjectRecord {
  /** Instance id as written in `seg` (1-based; 0 is background). */
  id: number;
  category: string;
  category_index: number;
  diagnostic_part: string;
  /** Uniform scale applied to the parts (object frame → world). */
  scale: number;
  parts: PartRecord[];
  materials: Record<MaterialSlot, MaterialRecord>;
  /** Kinematic motion (velocity in m/s, yaw rate in rad/s), or 'physics' (poses simulated). */
  motion: {
    kind: 'static' | 'linear' | 'spin' | 'linear+spin' | 'physics';
    velocity: Vec3;
    yaw_rate: number;
  };
  /** Category whose signature texture the object wears (null with random textures). */
  texture_category: string | null;
  texture_category_index: number | null;
  /** True when the texture belongs to another category than the shape (shape-bias tests). */
  cue_conflict: boolean;
  /** world_from_object per frame (without scale). */
  poses: Pose[];
  /** Set when the object is a user glTF asset (then `parts` is empty and `materials` are the asset's own). */
  asset?: AssetRecord;
}

/**
 * A user glTF/GLB asset as placed in a scene. Object frame = `normalise.scale` · asset frame +
 * `normalise.offset`: the asset's bounding box is scaled to its category's size and stands on
 * y = 0, centred over the origin, like a procedural object; `ObjectRecord.scale` applies on top.
 */
export interface AssetRecord {
  /** The spec entry's path, and the file it chose (the same path unless the entry is a folder). */
  source: string;
  file: string;
  /** sha256 of the file as read (with external buffers and images, of the self-contained form). */
  sha256: string;
  /** Name of the node or mesh that is the diagnostic part (null: none), and its glTF node indices (with descendants). */
  part_node: string | null;
  diagnostic_nodes: number[];
  normalise: { scale: number; offset: Vec3 };
  /** Bounding box in the object frame (before `ObjectRecord.scale`). */
  bounds: { min: Vec3; max: Vec3 };
  /** Physics collider: convex hull of the vertices, or the bounding box. */
  collider: 'hull' | 'box';
}

/** A captured environment drawn as 3D Gaussian splats behind the objects (a backdrop). */
export interface SplatRecord {
  source: string;
  sha256: string;
  format: 'ply' | 'splat' | 'spz';
  /** world_from_splat: position, rotation (quaternion x, y, z, w) and uniform scale. */
  position: Vec3;
  quaternion: Quat;
  scale: number;
  /** Whether the procedural ground plane is drawn as well (in every layer). */
  show_ground: boolean;
}

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export interface CameraRecord {
  width: number;
  height: number;
  fov_y_deg: number;
  near: number;
  far: number;
  baseline_m: number;
  K: Intrinsics;
  trajectory: Record<string, unknown> & { kind: string };
  /** Per frame: the fixated point, the fixated object (null = scene centre), whether mid-saccade. */
  gaze: { point: Vec3; object: number | null; saccade: boolean }[];
  /** world_from_camera per frame, OpenCV camera frame, for each eye. */
  world_from_camera: { left: Mat4[]; right: Mat4[] };
}

export interface BackgroundRecord {
  kind: 'outdoor' | 'room';
  /** A name for people and for shortcut analyses (e.g. 'grass', 'sand'). */
  name: string;
  sky_color: string;
  ground: MaterialRecord;
  /** Room interior size (x, y, z) when kind = 'room'. */
  room_size?: Vec3;
  wall?: MaterialRecord;
  /** Shortcut knob: true when this ground was chosen as the home of the first object's category. */
  correlated: boolean;
  /** Set when a Gaussian-splat capture replaces the sky (and, unless show_ground, the ground). */
  splat?: SplatRecord;
}

export type LightRecord =
  | { kind: 'hemisphere'; sky_color: string; ground_color: string; intensity: number }
  | {
      kind: 'directional';
      color: string;
      intensity: number;
      /** Unit vector pointing from the scene towards the light. */
      direction: Vec3;
      cast_shadow: boolean;
    };

export interface SceneRecord {
  format: 'datadiet.scene/1';
  /** Global sequence index in the dataset. */
  index: number;
  /** The dataset seed, and the derived seed of this sequence. */
  dataset_seed: number;
  seed: number;
  frames: number;
  fps: number;
  camera: CameraRecord;
  objects: ObjectRecord[];
  background: BackgroundRecord;
  lights: LightRecord[];
  render: { shadows: boolean; antialias: boolean };
  /** Contacts that started during the sequence (physics scenes); object ids, 0 = floor. */
  collisions: { frame: number; time_s: number; a: number; b: number }[];
}

/** A procedural object category: a builder of parts with one named diagnostic part. */
export interface CategoryDef {
  name: string;
  /** Name of the diagnostic part (e.g. 'head', 'wheels'). */
  diagnosticPart: string;
  description: string;
  /**
   * Builds the parts of one instance. Object frame: y up, origin at the centre of the footprint
   * on the ground (the object stands on y = 0), front facing +x, height about 1 m.
   */
  build(rng: import('../core/index.ts').Rng): PartRecord[];
}
