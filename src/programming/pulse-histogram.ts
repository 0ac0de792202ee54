/**
 * Cells by pulse count: entry i counts cells that took i pulses; the last entry (`bins − 1`)
 * counts cells that took that many or more. Default 31 bins (0–29 and ≥ 30, the design's
 * per-polarity cap).
 */
export function pulseHistogram(pulses: ArrayLike<number>, bins = 31): number[] {
  const h = new Array<number>(bins).fill(0);
  for (let k = 0; k < pulses.length; k++) h[Math.min(bins - 1, pulses[k]!)]!++;
  return h;
}
