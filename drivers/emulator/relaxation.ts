/**
 * Conductance relaxation after programming: the σ(G, t) table of the profile
 * (`relaxation.sigmaMicroS`, after aihwkit's ReRamWan2022NoiseModel) turned into a function.
 *
 * Interpolation: linear in G/gMax between the `gOverGmax` points (clamped outside them), linear
 * in log10(t) between the `timesS` rows (clamped after the last time). Before the first time σ
 * falls linearly in log10(t) to 0 at `EARLY_FACTOR`·timesS[0], so a verify read microseconds
 * after a pulse sees the freshly written value, as on a real board.
 */
import type { Profile } from './profile.ts';

/** σ reaches 0 at this fraction of the first tabulated time (three decades earlier). */
export const EARLY_FACTOR = 1e-3;

/** The relaxation σ(G, t) of a profile, ready for fast evaluation. */
export class RelaxationTable {
  /** Conductance points of the table (µS), ascending. */
  readonly gPointsMicroS: Float64Array;
  /** True when every σ of the table is 0 (the ideal profile): callers may skip relaxation. */
  readonly isZero: boolean;
  private readonly logTimes: Float64Array;
  private readonly sigma: Float64Array[];
  private readonly logEarly: number;

  /**
   * @param relaxation the profile's `relaxation` section
   * @param gMaxMicroS the window top (µS) that `gOverGmax` is relative to
   */
  constructor(relaxation: Profile['relaxation'], gMaxMicroS: number) {
    this.gPointsMicroS = Float64Array.from(relaxation.gOverGmax, (r) => r * gMaxMicroS);
    this.logTimes = Float64Array.from(relaxation.timesS, (t) => Math.log10(t));
    this.sigma = relaxation.sigmaMicroS.map((row) => Float64Array.from(row));
    this.logEarly = Math.log10(EARLY_FACTOR * relaxation.timesS[0]!);
    this.isZero = relaxation.sigmaMicroS.every((row) => row.every((s) => s === 0));
  }

  /** Interpolate a row of σ over the table's conductance points at `gMicroS` (linear, clamped at the ends). */
  private interpolate(row: Float64Array, gMicroS: number): number {
    const xs = this.gPointsMicroS;
    const n = xs.length;
    if (gMicroS <= xs[0]!) return row[0]!;
    if (gMicroS >= xs[n - 1]!) return row[n - 1]!;
    let j = 0;
    while (gMicroS > xs[j + 1]!) j++;
    const x0 = xs[j]!;
    const y0 = row[j]!;
    return y0 + ((gMicroS - x0) / (xs[j + 1]! - x0)) * (row[j + 1]! - y0);
  }

  /** σ (µS) of the relaxation of a cell programmed to `gMicroS`, `dtS` seconds later. */
  sigmaAt(gMicroS: number, dtS: number): number {
    if (!(dtS > 0)) return 0;
    const lt = this.logTimes;
    const nT = lt.length;
    const l = Math.log10(dtS);
    if (l <= lt[0]!) {
      if (l <= this.logEarly) return 0;
      return ((l - this.logEarly) / (lt[0]! - this.logEarly)) * this.atG(0, gMicroS);
    }
    if (l >= lt[nT - 1]!) return this.atG(nT - 1, gMicroS);
    let k = 0;
    while (l > lt[k + 1]!) k++;
    const w = (l - lt[k]!) / (lt[k + 1]! - lt[k]!);
    const a = this.atG(k, gMicroS);
    return a + w * (this.atG(k + 1, gMicroS) - a);
  }

  /** σ of time row `k` at conductance `gMicroS`. */
  private atG(k: number, gMicroS: number): number {
    return this.interpolate(this.sigma[k]!, gMicroS);
  }
}
