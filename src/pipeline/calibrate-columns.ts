/**
 * Column calibration on a chip: drive known inputs onto a programmed block of known
 * conductances, compute the expected linear counts k·Σ x·g, read the counts, and fit gain and
 * offset per physical column (`fitColumnCalibration`). Run it at the readout settings the model
 * was measured at: gain and offset are relative to that model.
 */
import type { ChipDriver } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { topCount, type IfcModel } from '../inference/ifc-model.ts';
import { fitColumnCalibration, type ColumnCalibration } from './calibrate.ts';
import { fromAsync } from './from-async.ts';
import { observe } from './observe.ts';
import { runMvm } from './run-mvm.ts';
import { seededRandom } from './seeded-random.ts';

/** What to calibrate on. */
export interface ColumnCalibrationRequest {
  /** Word lines to drive. */
  rows: readonly number[];
  /** Bit lines to calibrate (physical columns). */
  cols: readonly number[];
  /** Known conductances (µS), `rows.length × cols.length` row-major: targets, or better a read-back. */
  conductanceMicroS: Float32Array;
  /** The readout model in force (k, nSat, precision). */
  model: IfcModel;
  /** Input vectors to drive. Default 512. */
  vectors?: number;
  /** Seed of the random input patterns. Default 1. */
  seed?: number;
}

/**
 * Random patterns whose intensity ramps from faint to full over the vectors, so every column
 * sees counts across its whole unsaturated range whatever its total conductance.
 */
export function calibrationInputs(
  vectors: number,
  rows: number,
  bits: number,
  seed: number,
): Uint8Array {
  const uniform = seededRandom(seed);
  const top = topCount(bits);
  const x = new Uint8Array(vectors * rows);
  for (let v = 0; v < vectors; v++) {
    const level = ((v % 64) + 1) / 64;
    const peak = Math.max(1, Math.round(top * level * level));
    for (let i = 0; i < rows; i++)
      x[v * rows + i] = Math.min(top, Math.floor(uniform() * (peak + 1)));
  }
  return x;
}

/** Measure and fit the calibration; emits the ColumnCalibration (for all physical columns). */
export function measureColumnCalibration(driver: ChipDriver, request: ColumnCalibrationRequest) {
  return fromAsync<ColumnCalibration>(async (signal) => {
    const { rows, cols, conductanceMicroS: g, model } = request;
    const k = rows.length;
    const n = cols.length;
    if (g.length !== k * n)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `conductances must hold ${k}×${n} values, got ${g.length}`,
        {
          field: 'conductanceMicroS',
        },
      );
    const info = await observe(driver.identify(), { signal, first: true });
    const vectors = request.vectors ?? 512;
    const x = calibrationInputs(vectors, k, model.precisionBits, request.seed ?? 1);
    const measured = await runMvm(driver, rows, cols, x, {
      maxBatch: info.limits.maxMvmBatch,
      signal,
    });
    const expected = new Float64Array(vectors * n);
    for (let v = 0; v < vectors; v++)
      for (let i = 0; i < k; i++) {
        const xi = x[v * k + i]!;
        if (xi === 0) continue;
        for (let j = 0; j < n; j++) expected[v * n + j]! += xi * g[i * n + j]!;
      }
    for (let i = 0; i < expected.length; i++) expected[i]! *= model.countsPerMicroSPulse;
    return fitColumnCalibration({ cols, expected, measured }, { model, columns: info.cols });
  });
}
