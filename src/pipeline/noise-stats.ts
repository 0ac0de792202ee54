/** Statistics of characterisation: pure functions over conductance maps (µS, same layout). */

/**
 * Read noise from repeated maps of the same cells: per cell, the unbiased variance of its reads
 * around their mean G; then a least-squares fit of variance = additive² + (relative·G)² over the
 * included cells with mean above `minMicroS` (the proportional part dominates at the top of the
 * window, the additive one at the bottom, so cells spread over the window separate them).
 */
export function relativeReadNoise(
  reads: readonly Float32Array[],
  include: (k: number) => boolean,
  minMicroS: number,
): { relative: number; additiveMicroS: number; cells: number } {
  const r = reads.length;
  const n = reads[0]?.length ?? 0;
  if (r < 2) return { relative: NaN, additiveMicroS: NaN, cells: 0 };
  // Normal equations of v = a + b·x, x = G².
  let s1 = 0;
  let sx = 0;
  let sxx = 0;
  let sv = 0;
  let sxv = 0;
  for (let k = 0; k < n; k++) {
    if (!include(k)) continue;
    let m = 0;
    for (const map of reads) m += map[k]!;
    m /= r;
    if (!(m > minMicroS)) continue;
    let v = 0;
    for (const map of reads) v += (map[k]! - m) ** 2;
    v /= r - 1;
    const x = m * m;
    s1++;
    sx += x;
    sxx += x * x;
    sv += v;
    sxv += x * v;
  }
  if (s1 === 0) return { relative: NaN, additiveMicroS: NaN, cells: 0 };
  const det = s1 * sxx - sx * sx;
  let a: number;
  let b: number;
  if (det > 1e-12 * s1 * sxx) {
    a = (sxx * sv - sx * sxv) / det;
    b = (s1 * sxv - sx * sv) / det;
  } else {
    // All cells at one conductance: the parts cannot be separated; call it proportional.
    a = 0;
    b = sv / sx;
  }
  if (a < 0) {
    a = 0;
    b = sxv / sxx;
  } else if (b < 0) {
    b = 0;
    a = sv / s1;
  }
  return { relative: Math.sqrt(b), additiveMicroS: Math.sqrt(a), cells: s1 };
}

/** Cells grouped into conductance bands by their programmed value. */
export interface Bands {
  /** Band of each cell, −1 when excluded. */
  band: Int16Array;
  /** Mean programmed conductance of each (non-empty) band (µS), ascending. */
  centres: number[];
}

/** Group included cells into `count` equal-width bands over [min, max] of `programmed`; empty bands are dropped. */
export function conductanceBands(
  programmed: Float32Array,
  include: (k: number) => boolean,
  window: { min: number; max: number },
  count: number,
): Bands {
  const raw = new Int16Array(programmed.length).fill(-1);
  const sums = new Float64Array(count);
  const ns = new Uint32Array(count);
  const width = (window.max - window.min) / count;
  for (let k = 0; k < programmed.length; k++) {
    const g = programmed[k]!;
    if (!include(k) || !Number.isFinite(g)) continue;
    const b = Math.min(count - 1, Math.max(0, Math.floor((g - window.min) / width)));
    raw[k] = b;
    sums[b]! += g;
    ns[b]!++;
  }
  const remap = new Int16Array(count).fill(-1);
  const centres: number[] = [];
  for (let b = 0; b < count; b++)
    if (ns[b]! > 0) {
      remap[b] = centres.length;
      centres.push(sums[b]! / ns[b]!);
    }
  const band = raw.map((b) => (b < 0 ? -1 : remap[b]!));
  return { band, centres };
}

/**
 * σ of the drift `now − programmed` per band, with the read noise of both reads removed:
 * σ² = mean(e²) − mean(noiseVar). The mean drift is not removed: relaxation is zero-mean, and a
 * non-zero mean is part of what the model should carry. Returns σ and cells per band.
 */
export function bandSigma(
  bands: Bands,
  programmed: Float32Array,
  now: Float32Array,
  noiseVar: (programmedMicroS: number) => number,
): { sigma: number[]; cells: number[] } {
  const m = bands.centres.length;
  const e2 = new Float64Array(m);
  const nv = new Float64Array(m);
  const ns = new Array<number>(m).fill(0);
  for (let k = 0; k < programmed.length; k++) {
    const b = bands.band[k]!;
    if (b < 0) continue;
    const g = programmed[k]!;
    e2[b]! += (now[k]! - g) ** 2;
    nv[b]! += noiseVar(g);
    ns[b]!++;
  }
  const sigma = ns.map((c, b) => (c > 0 ? Math.sqrt(Math.max(0, (e2[b]! - nv[b]!) / c)) : 0));
  return { sigma, cells: ns };
}

/** Mean and relative σ of `values` (σ / |mean|), and plain σ. */
export function spread(values: readonly number[]): {
  mean: number;
  sigma: number;
  relative: number;
} {
  const n = values.length;
  if (n === 0) return { mean: NaN, sigma: NaN, relative: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sigma = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return { mean, sigma, relative: sigma / Math.abs(mean) };
}
