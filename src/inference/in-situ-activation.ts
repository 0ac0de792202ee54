/**
 * The in-situ activation between layers on chip: layer n's spike counts become layer n+1's
 * input pulses, h = clamp(n(G+) − n(G−), 0, 2^b − 1). The IFC's saturating transfer is the
 * nonlinearity (each side is T(q), the difference is taken digitally on the host), and the
 * clamp at 0 is a ReLU: a negative difference means "no activation", which is the only thing an
 * unsigned pulse count can say. No rescaling: counts ARE pulses, so one hidden unit is one pulse.
 *
 * With a column calibration the counts are first corrected (linearise, undo gain and offset,
 * re-apply the nominal transfer) so that every column has the nominal activation curve.
 */
import { applyColumnCalibration } from '../pipeline/calibrate.ts';
import type { PlacedLayer } from '../programming/placement.ts';
import { ifcTransfer, linearizeCounts, topCount } from './ifc-model.ts';
import type { DecodeOptions } from './layer-io.ts';

/** Next layer's input pulses (`batch × layer.outputs`) from this layer's counts. */
export function hiddenPulses(
  layer: PlacedLayer,
  values: Uint8Array,
  options: Partial<DecodeOptions> & { precisionBits: number },
): Uint8Array {
  const n = layer.cols.length;
  const m = layer.outputs;
  const twin = layer.scheme === 'twin-column';
  const batch = twin ? values.length / n : values.length / n / 2;
  const top = topCount(options.precisionBits);
  let level: ArrayLike<number> = values;
  if (options.calibration && options.model) {
    const nSat = options.model.saturationCount;
    const q = applyColumnCalibration(
      linearizeCounts(values, options.model),
      layer.cols,
      options.calibration,
    );
    // Back through the nominal transfer; −½ undoes the bin midpoint that linearising added.
    level = q.map((v) => ifcTransfer(v, nSat) - 0.5);
  }
  const out = new Uint8Array(batch * m);
  for (let b = 0; b < batch; b++)
    for (let k = 0; k < m; k++) {
      const d = twin
        ? level[b * n + 2 * k]! - level[b * n + 2 * k + 1]!
        : level[b * n + k]! - level[(batch + b) * n + k]!;
      const p = Math.round(d);
      out[b * m + k] = p < 0 ? 0 : p > top ? top : p;
    }
  return out;
}
