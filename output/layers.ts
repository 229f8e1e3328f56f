/**
 * The layers a dataset can hold: one `.npy` member per eye per layer. This table is part of the
 * public format (DESIGN.md): names, dtypes and shapes must not change without a format version bump.
 */

export const LAYERS = [
  {
    name: 'rgb',
    dtype: 'uint8',
    channels: 3,
    description: 'sRGB colour, [T,H,W,3]',
  },
  {
    name: 'depth',
    dtype: 'float32',
    channels: 1,
    description:
      'metric z-depth along the optical axis in metres, [T,H,W]; pixels showing no surface hold the far value',
  },
  {
    name: 'seg',
    dtype: 'uint16',
    channels: 1,
    description: 'instance id, [T,H,W]; 0 = background; ids match objects[].id in the sample JSON',
  },
  {
    name: 'parts',
    dtype: 'uint8',
    channels: 1,
    description: "1 where the pixel shows its object's diagnostic part, else 0, [T,H,W]",
  },
  {
    name: 'flow',
    dtype: 'float32',
    channels: 2,
    description:
      'forward optical flow t→t+1 in pixels (dx right, dy down), [T,H,W,2], from the true 3D motion of each surface point (camera and object motion); pixels with no surface move with the camera rotation; the last frame is zeros',
  },
  {
    name: 'normal',
    dtype: 'int8',
    channels: 3,
    description:
      'unit surface normal in the OpenCV camera frame × 127 (divide by 127), [T,H,W,3], facing the camera (n·ray < 0; smooth-shading normals that lean away at silhouettes are bent until they face it); 0 where no surface',
  },
  {
    name: 'valid',
    dtype: 'uint8',
    channels: 1,
    description:
      '1 where the pixel shows a surface (ground, walls, objects), 0 where it shows none (sky, splat backdrop), [T,H,W]; the only exact sky test: depth may exceed depth_far slightly on the far ground',
  },
  {
    name: 'occlusion',
    dtype: 'uint8',
    channels: 1,
    description:
      'what becomes of the point a pixel shows at t by t+1, [T,H,W]: 0 still visible (flow is checkable), 1 hidden behind another surface, 2 out of view (leaves the image or passes behind the camera); the last frame is zeros',
  },
] as const;

/** Layers written when a spec names none. */
// `valid` is cheap (1 byte a pixel) and the only unambiguous sky test, so depth users get it.
export const DEFAULT_LAYERS: LayerName[] = ['rgb', 'depth', 'seg', 'parts', 'valid'];

/** Layers Node derives from other layers after rendering; the page never draws them. */
export const DERIVED_LAYERS: readonly LayerName[] = ['occlusion'];
/** What the page must render for a derived layer to be computed. */
export const DERIVED_INPUTS: Readonly<Partial<Record<LayerName, readonly LayerName[]>>> = {
  occlusion: ['depth', 'seg', 'valid'],
};

export type LayerDef = (typeof LAYERS)[number];
export type LayerName = LayerDef['name'];
export const LAYER_NAMES = LAYERS.map((l) => l.name) as [LayerName, ...LayerName[]];
export const EYES = ['left', 'right'] as const;
export type Eye = (typeof EYES)[number];

const BYTES = { uint8: 1, int8: 1, uint16: 2, float32: 4 } as const;

export function layerDef(name: LayerName): LayerDef {
  const def = LAYERS.find((l) => l.name === name);
  if (!def) throw new Error(`unknown layer ${name}`);
  return def;
}

/** Bytes of one frame of a layer at width × height. */
export function layerFrameBytes(name: LayerName, width: number, height: number): number {
  const def = layerDef(name);
  return width * height * def.channels * BYTES[def.dtype];
}

/** NumPy shape of a layer's array for a sequence. */
export function layerShape(
  name: LayerName,
  frames: number,
  width: number,
  height: number,
): number[] {
  const def = layerDef(name);
  return def.channels === 1 ? [frames, height, width] : [frames, height, width, def.channels];
}

/** Member name inside a sample, e.g. `left.rgb.npy`. */
export function memberName(eye: Eye, layer: LayerName): string {
  return `${eye}.${layer}.npy`;
}
