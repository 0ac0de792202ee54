/**
 * The conductances the dashboard's heat-map shows: targets asked for and values measured, per
 * cell of one region of the array. Mutable and shared between successive job states (copying a
 * 256×256 map on every programmed row would cost more than drawing it); `version` counts changes.
 */
import type { Region } from '../../drivers/driver.ts';

/** What the heat-map shows. */
export type HeatView = 'target' | 'measured' | 'error';

/** Targets and measured values (µS) of a region; NaN where not known yet. */
export class HeatCanvas {
  readonly target: Float32Array;
  readonly measured: Float32Array;
  /** Incremented on every change. */
  version = 0;

  constructor(readonly region: Region) {
    this.target = new Float32Array(region.rows * region.cols).fill(NaN);
    this.measured = new Float32Array(region.rows * region.cols).fill(NaN);
  }

  /** True when `r` lies inside this canvas. */
  contains(r: Region): boolean {
    const c = this.region;
    return (
      r.row >= c.row &&
      r.col >= c.col &&
      r.row + r.rows <= c.row + c.rows &&
      r.col + r.cols <= c.col + c.cols
    );
  }

  /** Targets of sub-region `r` (row-major, µS). */
  setTarget(r: Region, values: Float32Array): void {
    this.copy(this.target, r, values);
  }

  /** Measured values of sub-region `r` (row-major, µS). */
  setMeasured(r: Region, values: Float32Array): void {
    this.copy(this.measured, r, values);
  }

  /** The values of a view: targets, measured, or measured − target (NaN where unknown). */
  values(view: HeatView): Float32Array {
    if (view === 'target') return this.target;
    if (view === 'measured') return this.measured;
    const out = new Float32Array(this.measured.length);
    for (let i = 0; i < out.length; i++) out[i] = this.measured[i]! - this.target[i]!;
    return out;
  }

  private copy(into: Float32Array, r: Region, values: Float32Array): void {
    const c = this.region;
    for (let i = 0; i < r.rows; i++)
      into.set(
        values.subarray(i * r.cols, (i + 1) * r.cols),
        (r.row - c.row + i) * c.cols + (r.col - c.col),
      );
    this.version++;
  }
}

/**
 * `values` (rows × cols, row-major) resampled to `height` × `width` by averaging the finite
 * values each output pixel covers (NaN where it covers none); a region smaller than the
 * output is repeated, so each cell stays a block.
 */
export function resample(
  values: Float32Array,
  rows: number,
  cols: number,
  height: number,
  width: number,
): Float32Array {
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const r0 = Math.floor((y * rows) / height);
    const r1 = Math.max(r0 + 1, Math.floor(((y + 1) * rows) / height));
    for (let x = 0; x < width; x++) {
      const c0 = Math.floor((x * cols) / width);
      const c1 = Math.max(c0 + 1, Math.floor(((x + 1) * cols) / width));
      let sum = 0;
      let n = 0;
      for (let r = r0; r < r1; r++)
        for (let c = c0; c < c1; c++) {
          const v = values[r * cols + c]!;
          if (Number.isFinite(v)) {
            sum += v;
            n++;
          }
        }
      out[y * width + x] = n > 0 ? sum / n : NaN;
    }
  }
  return out;
}
