/**
 * Input encoding: float activations → read-pulse counts at the configured precision,
 * p = clamp(round(x·s), 0, 2^b − 1) with s pulses per activation unit. Pulses are unsigned, so
 * negative activations clip to 0: inputs are expected non-negative (images, ReLU outputs); a
 * signed input would need two passes (x⁺ then x⁻) and is not supported here.
 */
import { BenchError } from '../../drivers/driver.ts';
import { topCount } from './ifc-model.ts';

/** Pulses per activation unit that puts the `percentile` (0–100] of the inputs at full scale. */
export function inputScaleFor(
  x: ArrayLike<number>,
  precisionBits: number,
  percentile = 100,
): number {
  const v = Float64Array.from(x).sort();
  const ref = v[Math.max(0, Math.ceil((percentile / 100) * v.length) - 1)] ?? 0;
  return ref > 0 ? topCount(precisionBits) / ref : 1;
}

/** Encode activations (any shape, row-major) to pulse counts. */
export function encodeInputs(
  x: ArrayLike<number>,
  pulsesPerUnit: number,
  precisionBits: number,
): Uint8Array {
  if (!(pulsesPerUnit > 0 && Number.isFinite(pulsesPerUnit)))
    throw new BenchError(
      'INVALID_ARGUMENT',
      `input scale must be a positive number of pulses per unit, got ${pulsesPerUnit}`,
      {
        field: 'pulsesPerUnit',
      },
    );
  if (!(Number.isInteger(precisionBits) && precisionBits >= 1 && precisionBits <= 8))
    throw new BenchError('INVALID_ARGUMENT', `precision must be 1–8 bits, got ${precisionBits}`, {
      field: 'precisionBits',
    });
  const top = topCount(precisionBits);
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v))
      throw new BenchError('INVALID_ARGUMENT', `input ${i} is NaN`, { field: 'inputs', index: i });
    const p = Math.round(v * pulsesPerUnit);
    out[i] = p < 0 ? 0 : p > top ? top : p;
  }
  return out;
}
