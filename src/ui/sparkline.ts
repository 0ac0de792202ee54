/** A row of block characters, one per value, heights scaled between `min` and `max`. */
const BARS = '▁▂▃▄▅▆▇█';

/** `sparkline([0.1, 0.5, 0.9])` → `▁▄█`. Defaults: the values' own minimum and maximum. */
export function sparkline(values: readonly number[], min?: number, max?: number): string {
  const lo = min ?? Math.min(...values);
  const hi = max ?? Math.max(...values);
  return values
    .map((v) => {
      const f = hi > lo ? (v - lo) / (hi - lo) : 1;
      return BARS[Math.min(BARS.length - 1, Math.max(0, Math.round(f * (BARS.length - 1))))]!;
    })
    .join('');
}
