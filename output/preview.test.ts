import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { contactSheetPng, type RgbTile } from './preview.ts';

function solid(width: number, height: number, rgb: [number, number, number]): RgbTile {
  const buf = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) buf.set(rgb, i * 3);
  return { width, height, rgb: buf };
}

describe('contactSheetPng', () => {
  it('lays tiles out in rows with grey gaps and keeps every pixel in place', () => {
    // A tile whose every pixel is distinct, to catch transposed or flipped copies.
    const grad: RgbTile = { width: 3, height: 2, rgb: Buffer.alloc(18) };
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) grad.rgb.set([x * 80, y * 200, 7], (y * 3 + x) * 3);
    }
    const red = solid(4, 4, [255, 0, 0]);
    const blue = solid(2, 3, [0, 0, 255]);
    const png = PNG.sync.read(contactSheetPng([[grad, red], [blue]], { gap: 2 }));
    // Row 0: 2 + 3 + 2 + 4 + 2 = 13 wide, 2 + 4 + 2 tall; row 1: 3 tall + 2.
    expect(png.width).toBe(13);
    expect(png.height).toBe(2 + 4 + 2 + 3 + 2);
    const px = (x: number, y: number) => [
      ...png.data.subarray((y * 13 + x) * 4, (y * 13 + x) * 4 + 4),
    ];
    expect(px(0, 0)).toEqual([128, 128, 128, 255]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) expect(px(2 + x, 2 + y)).toEqual([x * 80, y * 200, 7, 255]);
    }
    expect(px(2, 4)).toEqual([128, 128, 128, 255]); // below the short tile: gap colour
    expect(px(7, 2)).toEqual([255, 0, 0, 255]);
    expect(px(10, 5)).toEqual([255, 0, 0, 255]);
    expect(px(11, 5)).toEqual([128, 128, 128, 255]);
    expect(px(2, 8)).toEqual([0, 0, 255, 255]);
    expect(px(3, 10)).toEqual([0, 0, 255, 255]);
    expect(px(4, 8)).toEqual([128, 128, 128, 255]);
  });

  it('rejects tiles whose buffer does not match their size', () => {
    expect(() => contactSheetPng([[{ width: 2, height: 2, rgb: Buffer.alloc(11) }]])).toThrow(
      /needs 12 bytes, got 11/,
    );
  });
});
