/**
 * Classic linear SFA (Wiskott & Sejnowski 2002, as in MDP's SFANode / sksfa) on fixed features:
 * centre, whiten by the eigenvectors of the covariance (directions with negligible variance are
 * dropped, not inflated by an epsilon), then take the eigenvectors of the whitened temporal
 * difference covariance with the smallest eigenvalues. The baseline deep SFA must beat; also the
 * held-out slowness statistics both are judged by.
 */

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi); eigenvalues ascending. */
export function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: number[]; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => m[i * n + i]! - m[j * n + j]!,
  );
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values: order.map((i) => m[i * n + i]!), vectors };
}

/** One sequence of feature vectors: `rows` frames × `dim` features, row-major. */
export interface FeatureSequence {
  data: Float64Array;
  rows: number;
}

export interface LinearSfa {
  inputDim: number;
  outputDim: number;
  mean: Float64Array;
  /** inputDim × outputDim */
  projection: Float64Array;
  /** Δ-values of the outputs on the training sequences (ascending). */
  trainDeltas: number[];
  apply(seq: FeatureSequence): FeatureSequence;
}

function covariance(seqs: FeatureSequence[], dim: number, mean: Float64Array | null) {
  const c = new Float64Array(dim * dim);
  let n = 0;
  for (const s of seqs) {
    for (let r = 0; r < s.rows; r++) {
      const x = s.data.subarray(r * dim, (r + 1) * dim);
      for (let i = 0; i < dim; i++) {
        const xi = x[i]! - (mean ? mean[i]! : 0);
        for (let j = i; j < dim; j++) c[i * dim + j]! += xi * (x[j]! - (mean ? mean[j]! : 0));
      }
    }
    n += s.rows;
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      c[i * dim + j] = c[i * dim + j]! / Math.max(1, n - 1);
      c[j * dim + i] = c[i * dim + j]!;
    }
  }
  return c;
}

function project(
  seq: FeatureSequence,
  mean: Float64Array,
  p: Float64Array,
  din: number,
  dout: number,
) {
  const out = new Float64Array(seq.rows * dout);
  for (let r = 0; r < seq.rows; r++) {
    for (let o = 0; o < dout; o++) {
      let s = 0;
      for (let i = 0; i < din; i++) s += (seq.data[r * din + i]! - mean[i]!) * p[i * dout + o]!;
      out[r * dout + o] = s;
    }
  }
  return { data: out, rows: seq.rows };
}

function diffs(seqs: FeatureSequence[], dim: number): FeatureSequence[] {
  return seqs.map((s) => {
    const d = new Float64Array(Math.max(0, s.rows - 1) * dim);
    for (let r = 0; r + 1 < s.rows; r++) {
      for (let i = 0; i < dim; i++)
        d[r * dim + i] = s.data[(r + 1) * dim + i]! - s.data[r * dim + i]!;
    }
    return { data: d, rows: Math.max(0, s.rows - 1) };
  });
}

export function fitLinearSfa(opts: {
  sequences: FeatureSequence[];
  dim: number;
  outputs: number;
}): LinearSfa {
  const { sequences, dim, outputs } = opts;
  const mean = new Float64Array(dim);
  let n = 0;
  for (const s of sequences) {
    for (let r = 0; r < s.rows; r++) for (let i = 0; i < dim; i++) mean[i]! += s.data[r * dim + i]!;
    n += s.rows;
  }
  for (let i = 0; i < dim; i++) mean[i] = mean[i]! / Math.max(1, n);
  const { values, vectors } = symmetricEigen(covariance(sequences, dim, mean), dim);
  const top = Math.max(...values);
  const keep = values.map((v, i) => [v, i] as const).filter(([v]) => v > top * 1e-8);
  if (keep.length < outputs) {
    throw new Error(
      `linear SFA: only ${keep.length} feature directions carry variance; asked for ${outputs}`,
    );
  }
  const k = keep.length;
  const whiten = new Float64Array(dim * k);
  keep.forEach(([v, col], j) => {
    for (let i = 0; i < dim; i++) whiten[i * k + j] = vectors[i * dim + col]! / Math.sqrt(v);
  });
  const white = sequences.map((s) => project(s, mean, whiten, dim, k));
  const dcov = covariance(diffs(white, k), k, new Float64Array(k));
  const slow = symmetricEigen(dcov, k);
  const projection = new Float64Array(dim * outputs);
  for (let i = 0; i < dim; i++) {
    for (let o = 0; o < outputs; o++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += whiten[i * k + j]! * slow.vectors[j * k + o]!;
      projection[i * outputs + o] = s;
    }
  }
  return {
    inputDim: dim,
    outputDim: outputs,
    mean,
    projection,
    trainDeltas: slow.values.slice(0, outputs),
    apply: (seq) => project(seq, mean, projection, dim, outputs),
  };
}

export interface SlownessStats {
  /** Δ-value per output after standardising by these sequences' own mean and std. */
  deltas: number[];
  meanDelta: number;
  /** Std of each raw (unstandardised) output. */
  rawStd: number[];
  /** Largest |correlation| between two different outputs. */
  maxOffDiagonalCorrelation: number;
}

/**
 * Slowness statistics on (held-out) sequences, standardised by those sequences' statistics: no
 * epsilon anywhere, so a model cannot look slow by shrinking its outputs.
 */
export function slownessStats(seqs: FeatureSequence[], dim: number): SlownessStats {
  const n = seqs.reduce((a, s) => a + s.rows, 0);
  const mean = new Float64Array(dim);
  for (const s of seqs)
    for (let r = 0; r < s.rows; r++)
      for (let i = 0; i < dim; i++) mean[i]! += s.data[r * dim + i]! / n;
  const cov = covariance(seqs, dim, mean);
  const std = Array.from({ length: dim }, (_, i) => Math.sqrt(cov[i * dim + i]!));
  let maxCorr = 0;
  for (let i = 0; i < dim; i++) {
    for (let j = i + 1; j < dim; j++) {
      maxCorr = Math.max(maxCorr, Math.abs(cov[i * dim + j]! / (std[i]! * std[j]!)));
    }
  }
  const d = new Float64Array(dim);
  let pairs = 0;
  for (const s of diffs(seqs, dim)) {
    for (let r = 0; r < s.rows; r++)
      for (let i = 0; i < dim; i++) d[i]! += s.data[r * dim + i]! ** 2;
    pairs += s.rows;
  }
  const deltas = Array.from(d, (v, i) => v / Math.max(1, pairs) / std[i]! ** 2);
  return {
    deltas,
    meanDelta: deltas.reduce((a, b) => a + b, 0) / dim,
    rawStd: std,
    maxOffDiagonalCorrelation: maxCorr,
  };
}
