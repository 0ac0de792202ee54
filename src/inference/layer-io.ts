/**
 * A placed layer's MVM request and the decode of its counts. Twin columns: one vector per input,
 * columns (2k, 2k+1) give n+ and n−. Adjacent rows: the batch is driven twice in one request —
 * vectors 0..B−1 put x on the G+ rows (2i) and 0 on the G− rows, vectors B..2B−1 the reverse —
 * so n+ and n− of output k come from the same column in the two phases (see mapping.ts).
 * Keeping one row list for both phases lets the chip keep its sub-matrix cached.
 */
import type { MvmRequest } from '../../drivers/driver.ts';
import type { ColumnCalibration } from '../pipeline/calibrate.ts';
import type { PlacedLayer } from '../programming/placement.ts';
import { linearizeCounts, type IfcModel } from './ifc-model.ts';

/** Vectors the chip runs for `batch` input vectors of this layer. */
export function chipBatch(layer: PlacedLayer, batch: number): number {
  return layer.scheme === 'twin-column' ? batch : 2 * batch;
}

/** The MVM request for `pulses` (`batch × layer.inputs` counts). */
export function layerRequest(layer: PlacedLayer, pulses: Uint8Array): MvmRequest {
  if (layer.scheme === 'twin-column') return { rows: layer.rows, cols: layer.cols, inputs: pulses };
  const k = layer.inputs;
  const batch = pulses.length / k;
  const inputs = new Uint8Array(2 * batch * 2 * k);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < k; i++) {
      const p = pulses[b * k + i]!;
      inputs[b * 2 * k + 2 * i] = p;
      inputs[(batch + b) * 2 * k + 2 * i + 1] = p;
    }
  return { rows: layer.rows, cols: layer.cols, inputs };
}

/** How counts become numbers. */
export interface DecodeOptions {
  /** The readout model in force (k, nSat, precision). */
  model: IfcModel;
  /** Per-column correction; none: nominal columns. */
  calibration?: ColumnCalibration;
}

/**
 * Differential linear charge per output, q(G+) − q(G−) in counts (`batch × outputs`): counts
 * linearised through the IFC model, corrected per physical column, then subtracted. Divide by
 * k·(µS per weight unit)·(pulses per input unit) for activations (`toActivations`).
 */
export function decodeDifferential(
  layer: PlacedLayer,
  values: Uint8Array,
  options: DecodeOptions,
): Float32Array {
  const n = layer.cols.length;
  const m = layer.outputs;
  const twin = layer.scheme === 'twin-column';
  const batch = twin ? values.length / n : values.length / n / 2;
  // One fused pass (this runs on every output of every streamed batch): a 256-entry
  // linearisation table, then per-column affine correction folded into two small vectors.
  const table = linearizeCounts(
    Uint8Array.from({ length: 256 }, (_, i) => i),
    options.model,
  );
  const cal = options.calibration;
  const inv = Float32Array.from(layer.cols, (c) => 1 / (cal?.gain[c] ?? 1));
  const off = Float32Array.from(layer.cols, (c) => cal?.offset[c] ?? 0);
  const out = new Float32Array(batch * m);
  for (let b = 0; b < batch; b++) {
    const o = b * m;
    for (let k = 0; k < m; k++) {
      // Positive side at (row, column) p, negative side at n: twin columns or the two phases.
      const jp = twin ? 2 * k : k;
      const jn = twin ? 2 * k + 1 : k;
      const p = b * n + jp;
      const q = twin ? p + 1 : (batch + b) * n + k;
      out[o + k] =
        (table[values[p]!]! - off[jp]!) * inv[jp]! - (table[values[q]!]! - off[jn]!) * inv[jn]!;
    }
  }
  return out;
}

/** Activations from differential counts: y = q / (k · weightScale · inputScale). */
export function toActivations(
  differential: Float32Array,
  model: IfcModel,
  weightScaleMicroSPerUnit: number,
  inputPulsesPerUnit: number,
): Float32Array {
  const f = 1 / (model.countsPerMicroSPulse * weightScaleMicroSPerUnit * inputPulsesPerUnit);
  return differential.map((v) => v * f);
}
