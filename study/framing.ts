/**
 * How large the objects are in the frame: the fraction of pixels that show an object in the
 * frame evaluation reads (the middle one of each sequence), from the instance-id layer. ClickMe's
 * photos are object-centric; alignment with part maps means little when objects are a few pixels.
 */
import { readDataset, readManifest, sampleArray, typedView } from '../output/index.ts';

export interface ObjectFraction {
  sequences: number;
  mean: number;
  median: number;
  /** 10th and 90th percentiles over sequences. */
  p10: number;
  p90: number;
  /** Sequences whose frame shows no object pixel at all. */
  empty: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function objectPixelFraction(dir: string): Promise<ObjectFraction> {
  const m = await readManifest(dir);
  const h = Number(m.height);
  const w = Number(m.width);
  const t = Math.floor(Number(m.frames) / 2); // the frame probe-data.ts reads
  const hw = h * w;
  const fractions: number[] = [];
  for await (const s of readDataset(dir)) {
    if (!s.members.has('left.seg.npy')) continue;
    const seg = typedView(sampleArray(s, 'left.seg.npy'));
    let on = 0;
    for (let i = t * hw; i < (t + 1) * hw; i++) if (seg[i] !== 0) on++;
    fractions.push(on / hw);
  }
  const sorted = [...fractions].sort((a, b) => a - b);
  return {
    sequences: fractions.length,
    mean: fractions.reduce((a, b) => a + b, 0) / Math.max(1, fractions.length),
    median: quantile(sorted, 0.5),
    p10: quantile(sorted, 0.1),
    p90: quantile(sorted, 0.9),
    empty: fractions.filter((f) => f === 0).length,
  };
}
