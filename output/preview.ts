/** PNG contact sheets so people can eyeball a dataset (`<out>/previews/`). */
import { PNG } from 'pngjs';

export interface RgbTile {
  width: number;
  height: number;
  /** uint8 H×W×3, row-major, top row first. */
  rgb: Buffer;
}

const GREY = 128;

/**
 * Lays tiles out row by row (outer array = rows, tiles left to right) with a neutral grey gap
 * between tiles and around the edge; rows may differ in length and tiles in size (top-left aligned
 * in their cell). Returns the PNG bytes.
 */
export function contactSheetPng(tiles: RgbTile[][], opts: { gap?: number } = {}): Buffer {
  const gap = opts.gap ?? 4;
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`preview: bad gap ${gap}`);
  for (const row of tiles) {
    for (const t of row) {
      if (
        !Number.isInteger(t.width) ||
        !Number.isInteger(t.height) ||
        t.width < 0 ||
        t.height < 0
      ) {
        throw new RangeError(`preview: bad tile size ${t.width}×${t.height}`);
      }
      if (t.rgb.length !== t.width * t.height * 3) {
        throw new RangeError(
          `preview: tile ${t.width}×${t.height} needs ${t.width * t.height * 3} bytes, got ${t.rgb.length}`,
        );
      }
    }
  }
  const rowHeights = tiles.map((row) => Math.max(0, ...row.map((t) => t.height)));
  const rowWidths = tiles.map((row) => row.reduce((w, t) => w + t.width + gap, gap));
  const width = Math.max(1, gap * 2, ...rowWidths);
  const height = Math.max(
    1,
    rowHeights.reduce((h, rh) => h + rh + gap, gap),
  );

  const png = new PNG({ width, height });
  png.data.fill(GREY);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;

  let y0 = gap;
  for (const [r, row] of tiles.entries()) {
    let x0 = gap;
    for (const t of row) {
      for (let y = 0; y < t.height; y++) {
        let src = y * t.width * 3;
        let dst = ((y0 + y) * width + x0) * 4;
        for (let x = 0; x < t.width; x++, src += 3, dst += 4) {
          png.data[dst] = t.rgb[src]!;
          png.data[dst + 1] = t.rgb[src + 1]!;
          png.data[dst + 2] = t.rgb[src + 2]!;
        }
      }
      x0 += t.width + gap;
    }
    y0 += rowHeights[r]! + gap;
  }
  // RGB output: no alpha channel needed, and the file is a quarter smaller.
  return PNG.sync.write(png, { colorType: 2 });
}
