/**
 * Programming error (final − target conductance, µS) of the cells programmed so far, in fixed
 * bins: what the dashboard's histogram draws. Mutable and shared between job states, like the
 * heat canvas.
 */

/** Bins of the histogram: `BINS` bins over ±`RANGE_MICRO_S`; values beyond go in the end bins. */
export const BINS = 16;
/** Half-width of the histogram (µS). Default 2 µS: twice the default ±1 µS verify tolerance. */
export const RANGE_MICRO_S = 2;

/** Counts of programming errors per bin. */
export class ErrorHistogram {
  readonly counts = new Array<number>(BINS).fill(0);
  total = 0;
  private sumSq = 0;
  private within = 0;

  /** Add the cells of one programmed block. */
  add(targets: Float32Array, finals: Float32Array, toleranceMicroS = 1): void {
    for (let i = 0; i < targets.length; i++) {
      const e = finals[i]! - targets[i]!;
      if (!Number.isFinite(e)) continue;
      const bin = Math.floor(((e + RANGE_MICRO_S) / (2 * RANGE_MICRO_S)) * BINS);
      this.counts[Math.min(BINS - 1, Math.max(0, bin))]!++;
      this.total++;
      this.sumSq += e * e;
      if (Math.abs(e) <= toleranceMicroS) this.within++;
    }
  }

  /** Root-mean-square error (µS). */
  get rmsMicroS(): number {
    return this.total > 0 ? Math.sqrt(this.sumSq / this.total) : 0;
  }

  /** Fraction of cells within the tolerance. */
  get inTolerance(): number {
    return this.total > 0 ? this.within / this.total : 0;
  }
}
