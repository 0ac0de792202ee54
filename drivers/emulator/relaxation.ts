/**
 * Conductance relaxation after programming (docs/physics.md §1), after aihwkit's
 * ReRamWan2022NoiseModel (fit to Wan et al., Nature 2022).
 *
 * Marginal: at the published times t_k the excursion X = G(t) − G0 of a cell written to G0 is
 * N(0, σ_k²) with σ_k(G0) = Σ_m c_km·x^m, x = G0/gMax clamped to [0, 1], the published
 * polynomials unrounded (scaled by gMax/referenceGmaxMicroS as aihwkit does). Between the
 * published times the variance V(t) = σ² is linear in log10(t) (diffusion at a constant rate per
 * decade); before the first time it falls linearly in log10(t) to 0 at EARLY_FACTOR·t_0; after
 * the last time it stays. V is kept non-decreasing (V_k = max over j ≤ k of σ_j²): the fitted
 * 2-day curve dips below the 1-day one in places, which no physical process of accumulating
 * excursions can do.
 *
 * Time correlation: X is a random walk in variance time with independent Gaussian increments
 * between consecutive published times, X(t) = Σ_{j<k} √(V_j − V_{j−1})·z_j + √(V(t) − V_{k−1})·z_k
 * for t in segment k. So Var(X(t_b) − X(t_a)) = V(t_b) − V(t_a) at the published times (the
 * diffusive law), and one cell's G(1 s) and G(1 day) correlate with ρ = σ_1s/σ_1d. The z_j are
 * a deterministic hash of the cell's 32-bit relaxation seed and j, so X(t) is a pure function of
 * the cell's state and t: reads, maps and MVMs at any times agree, in any order.
 */
import type { Profile } from './profile.ts';
import { normalQuantile } from './rng.ts';

/** The variance reaches 0 at this fraction of the first published time (three decades earlier). */
export const EARLY_FACTOR = 1e-3;

/** A standard normal variate that is a pure function of (seed, j): 32-bit hash → quantile. */
export function hashNormal(seed: number, j: number): number {
  let h = (seed ^ Math.imul(j + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return normalQuantile((h + 0.5) / 4294967296);
}

/** The relaxation model of a profile, ready for fast evaluation (name kept from the table era). */
export class RelaxationTable {
  /** True when every coefficient is 0 (the ideal profile): callers may skip relaxation. */
  readonly isZero: boolean;
  /** Lower clamp of a relaxing conductance (µS). */
  readonly floorMicroS: number;
  /** Published times (s). */
  readonly timesS: readonly number[];
  private readonly logTimes: Float64Array;
  private readonly coeffs: Float64Array[];
  private readonly logEarly: number;
  private readonly gMax: number;
  private readonly scale: number;
  /** Scratch: V_k of the cell being evaluated. */
  private readonly v: Float64Array;

  /**
   * @param relaxation the profile's `relaxation` section
   * @param gMaxMicroS the window top (µS) that x = G/gMax is relative to
   */
  constructor(relaxation: Profile['relaxation'], gMaxMicroS: number) {
    this.timesS = relaxation.timesS;
    this.logTimes = Float64Array.from(relaxation.timesS, (t) => Math.log10(t));
    this.coeffs = relaxation.sigmaPolyMicroS.map((row) => Float64Array.from(row));
    this.logEarly = Math.log10(EARLY_FACTOR * relaxation.timesS[0]!);
    this.isZero = relaxation.sigmaPolyMicroS.every((row) => row.every((c) => c === 0));
    this.floorMicroS = relaxation.floorMicroS;
    this.gMax = gMaxMicroS;
    this.scale = gMaxMicroS / relaxation.referenceGmaxMicroS;
    this.v = new Float64Array(relaxation.timesS.length);
  }

  /** The published σ (µS) at time row `k` for a cell written to `gMicroS` (no monotone envelope). */
  polySigma(k: number, gMicroS: number): number {
    const c = this.coeffs[k]!;
    let x = gMicroS / this.gMax;
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    let s = 0;
    for (let m = c.length - 1; m >= 0; m--) s = s * x + c[m]!;
    s *= this.scale;
    return s > 0 ? s : 0;
  }

  /** Fill this.v with the non-decreasing variances V_k at G0. */
  private fill(g0: number): Float64Array {
    const v = this.v;
    let prev = 0;
    for (let k = 0; k < v.length; k++) {
      const s = this.polySigma(k, g0);
      prev = s * s > prev ? s * s : prev;
      v[k] = prev;
    }
    return v;
  }

  /** Interpolation weight of the last `locateAge` (fraction of its segment's variance step). */
  lastW = 0;
  /** Completed-segment sum C of the last `segmentTerms` (µS). */
  lastC = 0;
  /** Current-segment step D = √(V_k − V_{k−1})·z_k of the last `segmentTerms` (µS). */
  lastD = 0;

  /**
   * The segment an age falls in — 0 before the first published time, k between times k − 1 and
   * k, n after the last — and (in `lastW`) the fraction w of the segment's variance step reached.
   * Independent of the cell: V(t) = V_{k−1} + w·(V_k − V_{k−1}).
   */
  locateAge(dtS: number): number {
    const lt = this.logTimes;
    const n = lt.length;
    if (!(dtS > 0)) {
      this.lastW = 0;
      return 0;
    }
    const l = Math.log10(dtS);
    if (l <= lt[0]!) {
      this.lastW = l <= this.logEarly ? 0 : (l - this.logEarly) / (lt[0]! - this.logEarly);
      return 0;
    }
    if (l >= lt[n - 1]!) {
      this.lastW = 1;
      return n;
    }
    let k = 0;
    while (l > lt[k + 1]!) k++;
    this.lastW = (l - lt[k]!) / (lt[k + 1]! - lt[k]!);
    return k + 1;
  }

  /**
   * The terms of a cell's walk in segment k (into `lastC`, `lastD`): X = C + √w·D. They change
   * only when the cell enters another segment, so callers may cache them per cell.
   */
  segmentTerms(g0: number, k: number, seed: number): void {
    const v = this.fill(g0);
    let c = 0;
    let below = 0;
    for (let j = 0; j < k; j++) {
      const d = v[j]! - below;
      if (d > 0) c += Math.sqrt(d) * hashNormal(seed, j);
      below = v[j]!;
    }
    const d = k < v.length ? v[k]! - below : 0;
    this.lastC = c;
    this.lastD = d > 0 ? Math.sqrt(d) * hashNormal(seed, k) : 0;
  }

  /** σ (µS) of the excursion of a cell written to `gMicroS`, `dtS` seconds later (before clamping). */
  sigmaAt(gMicroS: number, dtS: number): number {
    if (!(dtS > 0)) return 0;
    const v = this.fill(gMicroS);
    const k = this.locateAge(dtS);
    if (k >= v.length) return Math.sqrt(v[v.length - 1]!);
    const below = k === 0 ? 0 : v[k - 1]!;
    return Math.sqrt(below + this.lastW * (v[k]! - below));
  }

  /**
   * The excursion X (µS, before shrink and clamping) of a cell written to `g0`, with relaxation
   * seed `seed`, `dtS` seconds after the write.
   */
  excursion(g0: number, dtS: number, seed: number): number {
    if (!(dtS > 0)) return 0;
    const k = this.locateAge(dtS);
    const w = this.lastW;
    this.segmentTerms(g0, k, seed);
    return this.lastC + Math.sqrt(w) * this.lastD;
  }

  /**
   * The age (s) after which the excursion of every cell no longer changes: the last published
   * time. Before EARLY_FACTOR·t_0 it has not started.
   */
  get settledAfterS(): number {
    return this.timesS[this.timesS.length - 1]!;
  }

  /** Age (s) below which the excursion is exactly 0. */
  get quietBeforeS(): number {
    return 10 ** this.logEarly;
  }
}
