/** Small PNG figures for people: saliency overlays and next-frame predictions (pngjs via output/). */
import { contactSheetPng, type RgbTile } from '../output/index.ts';

/** Nearest-neighbour upscale so tiny frames stay visible (at least `min` pixels high). */
function upscale(t: RgbTile, min = 96): RgbTile {
  const k = Math.max(1, Math.ceil(min / Math.max(1, t.height)));
  if (k === 1) return t;
  const W = t.width * k;
  const H = t.height * k;
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = ((Math.floor(y / k) * t.width + Math.floor(x / k)) * 3) as number;
      rgb[(y * W + x) * 3] = t.rgb[s]!;
      rgb[(y * W + x) * 3 + 1] = t.rgb[s + 1]!;
      rgb[(y * W + x) * 3 + 2] = t.rgb[s + 2]!;
    }
  }
  return { width: W, height: H, rgb };
}

/** Float RGB in [0, 1] → tile. */
export function rgbTile(img: ArrayLike<number>, h: number, w: number): RgbTile {
  const rgb = Buffer.alloc(h * w * 3);
  for (let i = 0; i < h * w * 3; i++) rgb[i] = Math.round(255 * Math.min(1, Math.max(0, img[i]!)));
  return { width: w, height: h, rgb };
}

/** A map scaled to its own max → "hot" colours (black, red, yellow, white). */
function heat(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, v));
  return [Math.min(1, 3 * t), Math.min(1, Math.max(0, 3 * t - 1)), Math.max(0, 3 * t - 2)];
}

export function heatTile(map: ArrayLike<number>, h: number, w: number): RgbTile {
  let max = 0;
  for (let i = 0; i < h * w; i++) max = Math.max(max, map[i]!);
  const rgb = Buffer.alloc(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const c = heat(max > 0 ? map[i]! / max : 0);
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = Math.round(255 * c[k]!);
  }
  return { width: w, height: h, rgb };
}

/** Image dimmed to half, with the saliency heat added on top. */
export function overlayTile(img: ArrayLike<number>, map: ArrayLike<number>, h: number, w: number) {
  const hm = heatTile(map, h, w);
  const rgb = Buffer.alloc(h * w * 3);
  for (let i = 0; i < h * w * 3; i++) {
    rgb[i] = Math.round(Math.min(255, 0.5 * 255 * img[i]! + 0.6 * hm.rgb[i]!));
  }
  return { width: w, height: h, rgb };
}

/** One row per image: image | saliency | overlay | reference map. */
export function saliencySheet(
  rows: { image: ArrayLike<number>; saliency: ArrayLike<number>; reference?: ArrayLike<number> }[],
  h: number,
  w: number,
): Buffer {
  return contactSheetPng(
    rows.map((r) =>
      [
        rgbTile(r.image, h, w),
        heatTile(r.saliency, h, w),
        overlayTile(r.image, r.saliency, h, w),
        ...(r.reference ? [heatTile(r.reference, h, w)] : []),
      ].map((t) => upscale(t)),
    ),
  );
}

/** One row per clip: last input frame | prediction | target. */
export function predictionSheet(
  rows: { previous: ArrayLike<number>; prediction: ArrayLike<number>; target: ArrayLike<number> }[],
  h: number,
  w: number,
): Buffer {
  return contactSheetPng(
    rows.map((r) => [r.previous, r.prediction, r.target].map((x) => upscale(rgbTile(x, h, w)))),
  );
}
