/**
 * Photometric consistency of static surfaces under our own flow: a surface point seen at frame t
 * should have (nearly) the same colour where the flow says it is at t+1. A z-fight (two coplanar
 * surfaces with different materials) breaks this while depth and seg stay right, so this is the
 * check that catches it. Used by tests; plain arrays in, counts out.
 */

export interface PhotometricInput {
  T: number;
  H: number;
  W: number;
  /** uint8 [T,H,W,3] */
  rgb: ArrayLike<number>;
  /** float32 [T,H,W,2] */
  flow: ArrayLike<number>;
  /** uint16 [T,H,W]; only background (id 0) pixels are compared */
  seg: ArrayLike<number>;
  /** float32 [T,H,W]; pixels at or beyond `far` (sky) are skipped */
  depth: ArrayLike<number>;
  far: number;
  /** A pixel "changed" when a channel differs by more than this many levels (default 40). */
  levels?: number;
}

export interface PairStats {
  t: number;
  /** Background surface pixels compared (their flow target lies inside and on background). */
  compared: number;
  /** Of those, how many changed colour by more than `levels`. */
  changed: number;
}

/** For each pair (t, t+1): follow the flow at t into t+1 and compare colours. */
export function photometricPairs(o: PhotometricInput): PairStats[] {
  const { T, H, W } = o;
  const levels = o.levels ?? 40;
  const n = H * W;
  const out: PairStats[] = [];
  for (let t = 0; t + 1 < T; t++) {
    let compared = 0;
    let changed = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = t * n + y * W + x;
        if (o.seg[i] !== 0 || o.depth[i]! >= o.far) continue;
        // The four pixels around the flow target: a point is "changed" only when it differs from
        // all of them, so sub-pixel texture aliasing at 64² does not count, a material flip does.
        const fx = x + o.flow[2 * i]!;
        const fy = y + o.flow[2 * i + 1]!;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        if (x0 < 0 || y0 < 0 || x0 + 1 >= W || y0 + 1 >= H) continue;
        let d = Infinity;
        let occluded = false;
        for (const [xx, yy] of [
          [x0, y0],
          [x0 + 1, y0],
          [x0, y0 + 1],
          [x0 + 1, y0 + 1],
        ] as const) {
          const j = (t + 1) * n + yy * W + xx;
          // The target must show background too: otherwise the point is hidden at t+1.
          if (o.seg[j] !== 0 || o.depth[j]! >= o.far) occluded = true;
          let dj = 0;
          for (let c = 0; c < 3; c++) {
            dj = Math.max(dj, Math.abs(o.rgb[3 * i + c]! - o.rgb[3 * j + c]!));
          }
          d = Math.min(d, dj);
        }
        if (occluded) continue;
        compared++;
        if (d > levels) changed++;
      }
    }
    out.push({ t, compared, changed });
  }
  return out;
}
