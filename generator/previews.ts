import { contactSheetPng, type RgbTile } from '../output/index.ts';
import type { SceneRecord } from '../scenes/index.ts';
import type { RenderedSequence } from './render-worker.ts';

/** Depth → grey (near bright), seg → one colour per id with the diagnostic part brightened. */
function tiles(rec: SceneRecord, seq: RenderedSequence, frame: number): RgbTile[] {
  const { width: w, height: h } = rec.camera;
  const n = w * h;
  const out: RgbTile[] = [];
  const body = (name: string) => seq.members.find((m) => m.name === name)?.data;
  for (const eye of ['left', 'right']) {
    const rgb = body(`${eye}.rgb.npy`);
    if (rgb)
      out.push({ width: w, height: h, rgb: rgb.subarray(frame * n * 3, (frame + 1) * n * 3) });
  }
  const depth = body('left.depth.npy');
  if (depth) {
    const z = new Float32Array(
      depth.buffer.slice(depth.byteOffset + frame * n * 4, depth.byteOffset + (frame + 1) * n * 4),
    );
    const img = Buffer.alloc(n * 3);
    for (let i = 0; i < n; i++)
      img.fill(Math.round(255 * Math.min(1, 1.5 / Math.max(z[i]!, 1e-3))), i * 3, i * 3 + 3);
    out.push({ width: w, height: h, rgb: img });
  }
  const seg = body('left.seg.npy');
  const parts = body('left.parts.npy');
  if (seg) {
    const img = Buffer.alloc(n * 3);
    for (let i = 0; i < n; i++) {
      const id = seg.readUInt16LE((frame * n + i) * 2);
      const part = parts ? parts[frame * n + i]! : 0;
      const k = part ? 1 : 0.55;
      if (id)
        for (let c = 0; c < 3; c++)
          img[i * 3 + c] = Math.round(k * (((id * [97, 57, 131][c]!) % 200) + 55));
    }
    out.push({ width: w, height: h, rgb: img });
  }
  return out;
}

/** A contact sheet for a person: one row per sampled frame; left | right | depth | seg+parts. */
export function previewPng(rec: SceneRecord, seq: RenderedSequence, rows = 4): Buffer {
  const frames = Math.min(rows, rec.frames);
  const picks = Array.from({ length: frames }, (_, i) =>
    Math.round((i * (rec.frames - 1)) / Math.max(1, frames - 1)),
  );
  return contactSheetPng(picks.map((f) => tiles(rec, seq, f)));
}
