/**
 * Per-column readout calibration. Each IFC has its own gain and offset (docs/physics.md §3):
 * a column fires n = floor(T(gain·q + offset)) for linear charge q. Driving known inputs onto
 * columns of known conductance gives q = k·Σ x·g; regressing the linearised counts T⁻¹(n + ½)
 * on q, per physical column, recovers gain and offset, which decode then undoes.
 *
 * `fitColumnCalibration` is pure (samples in, fit out) so characterisation can feed it its own
 * measurements; `measureColumnCalibration` (calibrate-columns.ts) runs the drive on a chip.
 */
import { BenchError } from '../../drivers/driver.ts';
import { linearizeCounts, topCount, type IfcModel } from '../inference/ifc-model.ts';

/** Known-pattern samples: expected linear counts and measured counts for some columns. */
export interface CalibrationSamples {
  /** Physical columns, in the order of each vector's elements. */
  cols: readonly number[];
  /** Expected linear counts k·Σ x·g, `batch × cols.length`, row-major. */
  expected: ArrayLike<number>;
  /** Measured spike counts, `batch × cols.length`, row-major. */
  measured: Uint8Array;
}

/** Per-physical-column readout correction: measured linear count = gain·q + offset. */
export interface ColumnCalibration {
  /** Relative gain per physical column (1 = nominal; 1 where not fitted). */
  gain: Float32Array;
  /** Offset per physical column, in linear counts (0 where not fitted). */
  offset: Float32Array;
  /** RMS residual of the fit over all used samples (linear counts). */
  residualRms: number;
  /** Samples used per physical column (zero and clipped counts are not used). */
  samples: Uint32Array;
}

/** Options of `fitColumnCalibration`. */
export interface FitCalibrationOptions {
  /** The readout model the expected counts were computed with (precision, saturation). */
  model: IfcModel;
  /** Physical columns of the chip. Default 256. */
  columns?: number;
  /** Fewest usable samples for a column to be fitted. Default 8. */
  minSamples?: number;
}

/**
 * Least-squares gain and offset per physical column. Zero counts (the charge is anywhere below
 * one spike) and clipped counts (anywhere above full scale) are censored, so they are skipped;
 * a column with fewer than `minSamples` usable samples, or no spread in q, keeps gain 1, offset 0.
 */
export function fitColumnCalibration(
  samples: CalibrationSamples | readonly CalibrationSamples[],
  options: FitCalibrationOptions,
): ColumnCalibration {
  const { model, columns = 256, minSamples = 8 } = options;
  const top = topCount(model.precisionBits);
  const acc = new Float64Array(columns * 5); // n, Σq, Σy, Σq², Σqy per column
  const sets = Array.isArray(samples)
    ? (samples as readonly CalibrationSamples[])
    : [samples as CalibrationSamples];
  for (const s of sets) {
    const n = s.cols.length;
    if (s.expected.length !== s.measured.length || n === 0 || s.measured.length % n !== 0)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `calibration samples must hold batch × ${n} expected and measured values (got ${s.expected.length} and ${s.measured.length})`,
        { field: 'samples' },
      );
    for (const c of s.cols)
      if (!Number.isInteger(c) || c < 0 || c >= columns)
        throw new BenchError(
          'INVALID_ARGUMENT',
          `calibration column ${c} is outside 0..${columns - 1}`,
          {
            field: 'cols',
            value: c,
          },
        );
    const y = linearizeCounts(s.measured, model);
    for (let i = 0; i < y.length; i++) {
      const m = s.measured[i]!;
      if (m === 0 || m >= top) continue;
      const q = s.expected[i]!;
      const a = s.cols[i % n]! * 5;
      acc[a]! += 1;
      acc[a + 1]! += q;
      acc[a + 2]! += y[i]!;
      acc[a + 3]! += q * q;
      acc[a + 4]! += q * y[i]!;
    }
  }
  const gain = new Float32Array(columns).fill(1);
  const offset = new Float32Array(columns);
  const used = new Uint32Array(columns);
  let sse = 0;
  let total = 0;
  for (let c = 0; c < columns; c++) {
    const [n = 0, sq = 0, sy = 0, sqq = 0, sqy = 0] = acc.subarray(c * 5, c * 5 + 5);
    used[c] = n;
    const det = n * sqq - sq * sq;
    if (n < minSamples || !(det > 1e-9 * n * sqq)) continue;
    const g = (n * sqy - sq * sy) / det;
    const o = (sy - g * sq) / n;
    if (!(g > 0)) continue;
    gain[c] = g;
    offset[c] = o;
  }
  // Residuals need a second pass (the fit first); cheap next to the chip time that made the samples.
  for (const s of sets) {
    const n = s.cols.length;
    const y = linearizeCounts(s.measured, model);
    for (let i = 0; i < y.length; i++) {
      const m = s.measured[i]!;
      if (m === 0 || m >= top) continue;
      const c = s.cols[i % n]!;
      const r = y[i]! - (gain[c]! * s.expected[i]! + offset[c]!);
      sse += r * r;
      total++;
    }
  }
  return { gain, offset, residualRms: total > 0 ? Math.sqrt(sse / total) : 0, samples: used };
}

/**
 * Undo the column calibration on linear counts (`batch × cols.length`, e.g. from
 * `linearizeCounts`): q = (y − offset)/gain per physical column. Returns a new array.
 */
export function applyColumnCalibration(
  linear: Float32Array,
  cols: readonly number[],
  calibration: ColumnCalibration,
): Float32Array {
  const n = cols.length;
  const g = Float32Array.from(cols, (c) => 1 / (calibration.gain[c] ?? 1));
  const o = Float32Array.from(cols, (c) => calibration.offset[c] ?? 0);
  const out = new Float32Array(linear.length);
  for (let i = 0; i < linear.length; i++) {
    const j = i % n;
    out[i] = (linear[i]! - o[j]!) * g[j]!;
  }
  return out;
}

/** The identity calibration (gain 1, offset 0) for `columns` physical columns. */
export function identityCalibration(columns = 256): ColumnCalibration {
  return {
    gain: new Float32Array(columns).fill(1),
    offset: new Float32Array(columns),
    residualRms: 0,
    samples: new Uint32Array(columns),
  };
}
