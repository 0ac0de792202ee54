/**
 * Histograms computed before plotting: a run's 131,072 programmed cells become ~50 bins per
 * series, so the Vega-Lite spec carries bins (drawn with `bin: 'binned'`), not every cell.
 */

/** One bin of one series. */
export interface HistogramBin {
  series: string;
  /** Lower edge (inclusive). */
  lo: number;
  /** Upper edge (exclusive; the last bin includes it). */
  hi: number;
  count: number;
}

/** A step for about `bins` bins over `span`: 1, 2 or 5 × a power of ten. */
export function niceStep(span: number, bins: number): number {
  if (!(span > 0)) return 1;
  const raw = span / bins;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/**
 * Bins of width `step` aligned on multiples of it, shared by every series so bars line up;
 * non-finite values are skipped. Empty bins are left out.
 */
export function histogram(
  series: readonly { name: string; values: ArrayLike<number> }[],
  step: number,
): HistogramBin[] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series)
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  if (min > max) return [];
  const first = Math.floor(min / step);
  const n = Math.max(1, Math.floor(max / step) - first + 1);
  const out: HistogramBin[] = [];
  for (const s of series) {
    const counts = new Float64Array(n);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (Number.isFinite(v)) counts[Math.min(n - 1, Math.floor(v / step) - first)]!++;
    }
    counts.forEach((c, k) => {
      if (c > 0)
        out.push({ series: s.name, lo: (first + k) * step, hi: (first + k + 1) * step, count: c });
    });
  }
  return out;
}
