/**
 * Colour scales of the heat-map: sequential (viridis) for conductances, diverging (blue–white–
 * red) for errors; and shade glyphs for terminals without colour (`NO_COLOR`).
 */

/** Viridis, dark (low) to yellow (high). */
export const SEQUENTIAL = [
  '#440154',
  '#472d7b',
  '#3b528b',
  '#2c728e',
  '#21918c',
  '#28ae80',
  '#5ec962',
  '#addc30',
  '#fde725',
] as const;

/** Blue (negative) – white (zero) – red (positive). */
export const DIVERGING = [
  '#2166ac',
  '#4393c3',
  '#92c5de',
  '#d1e5f0',
  '#f7f7f7',
  '#fddbc7',
  '#f4a582',
  '#d6604d',
  '#b2182b',
] as const;

/** Shades for monochrome terminals, light to dense. */
export const SHADES = [' ', '░', '▒', '▓', '█'] as const;

/** Index into a scale of `n` steps for `v` in [lo, hi] (clamped). */
export function level(v: number, lo: number, hi: number, n: number): number {
  const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return Math.min(n - 1, Math.max(0, Math.round(f * (n - 1))));
}

/** Whether colour is wanted: not when `NO_COLOR` is set (https://no-color.org). */
export function colorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}
