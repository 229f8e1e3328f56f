import { EYES, LAYERS, layerFrameBytes, type Eye, type LayerName } from '../output/layers.ts';

/**
 * The wire format of one rendered stereo frame, shared by the page (which packs it) and Node
 * (which unpacks it): a 16-byte header, then for each eye, for each requested layer in canonical
 * order, the layer's frame bytes exactly as they go into the `.npy` (top-down rows, little-endian).
 */

export const FRAME_MAGIC = 0x64646631; // 'ddf1'
export const FRAME_HEADER_BYTES = 16;

export interface FrameSlot {
  eye: Eye;
  layer: LayerName;
  offset: number;
  bytes: number;
}

export interface FrameLayout {
  slots: FrameSlot[];
  /** Header included. */
  totalBytes: number;
}

export function canonicalLayers(layers: readonly LayerName[]): LayerName[] {
  return LAYERS.map((l) => l.name).filter((n) => layers.includes(n));
}

export function frameLayout(
  layers: readonly LayerName[],
  width: number,
  height: number,
): FrameLayout {
  const slots: FrameSlot[] = [];
  let offset = FRAME_HEADER_BYTES;
  for (const eye of EYES) {
    for (const layer of canonicalLayers(layers)) {
      const bytes = layerFrameBytes(layer, width, height);
      slots.push({ eye, layer, offset, bytes });
      offset += bytes;
    }
  }
  return { slots, totalBytes: offset };
}
