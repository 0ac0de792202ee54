/** Summary statistics of a conductance map. */

/** Mean, standard deviation and extremes of a map (µS). */
export function mapStats(microS: Float32Array): {
  meanMicroS: number;
  stdMicroS: number;
  minMicroS: number;
  maxMicroS: number;
} {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of microS) {
    s += v;
    s2 += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = Math.max(1, microS.length);
  const mean = s / n;
  return {
    meanMicroS: mean,
    stdMicroS: Math.sqrt(Math.max(0, s2 / n - mean * mean)),
    minMicroS: min,
    maxMicroS: max,
  };
}
