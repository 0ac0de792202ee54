/** The demo's data: the conductance pattern it programs, its random inputs, and count statistics. */
import { seededRandom } from '../pipeline/seeded-random.ts';

/**
 * Targets (µS, row-major) for a `size × size` region: a diagonal gradient from `lo` to `hi`,
 * mirrored in alternate 8×8 blocks — a checkerboard of gradients, so neighbouring cells get
 * very different targets and both SET and RESET are exercised.
 */
export function patternTargets(size: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(size * size);
  const span = Math.max(1, 2 * (size - 1));
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const t = (i + j) / span;
      const mirrored = ((i >> 3) + (j >> 3)) % 2 === 1;
      out[i * size + j] = lo + (hi - lo) * (mirrored ? 1 - t : t);
    }
  }
  return out;
}

/** `batch × n` uniform random inputs in `[0, 2^bits − 1]`, seeded. */
export function randomInputs(batch: number, n: number, bits: number, seed: number): Uint8Array {
  const u = seededRandom(seed);
  const levels = 1 << bits;
  return Uint8Array.from({ length: batch * n }, () => Math.floor(u() * levels));
}

/** Mean, standard deviation, extremes and zero fraction of some values. */
export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
  zeroFraction: number;
}

/** Summary statistics of `values` (all zero for an empty array). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0, min: 0, max: 0, zeroFraction: 0 };
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    s += v;
    s2 += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
  }
  const mean = s / n;
  return {
    mean,
    std: Math.sqrt(Math.max(0, s2 / n - mean * mean)),
    min,
    max,
    zeroFraction: zeros / n,
  };
}
