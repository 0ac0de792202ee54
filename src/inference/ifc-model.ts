/**
 * The host's model of the integrate-and-fire readout: how many spikes a column fires for a given
 * linear charge, and the inverse used at decode. It mirrors docs/physics.md §3,
 *   n = floor(T(q)),  T(q) = nSat·q / (nSat + q),  clipped at 2^b − 1,
 * with q the linear charge in counts (q = k·Σ x·g, k counts per µS·pulse). The host does not know
 * the chip's capacitor or refractory time, so k and nSat are measured (see `fitIfcModel` and
 * src/pipeline/transfer-curve.ts) at the Vref/Vth/precision in force.
 */
import { BenchError } from '../../drivers/driver.ts';

/** The readout transfer at one readout setting. */
export interface IfcModel {
  /** Spike counts per µS·pulse in the linear (small-charge) region. */
  countsPerMicroSPulse: number;
  /** Saturation count t_m/t0 of the transfer; Infinity for a linear readout. */
  saturationCount: number;
  /** Precision (bits): counts clip at 2^b − 1. */
  precisionBits: number;
}

/** Largest count at a precision. */
export function topCount(precisionBits: number): number {
  return (1 << precisionBits) - 1;
}

/** T(q): spike count for linear charge q (counts), before flooring and clipping. */
export function ifcTransfer(q: number, saturationCount: number): number {
  if (q <= 0) return 0;
  return saturationCount === Infinity ? q : (saturationCount * q) / (saturationCount + q);
}

/** T⁻¹(n): the linear charge (counts) that makes the transfer reach n. */
export function ifcInverse(n: number, saturationCount: number): number {
  if (saturationCount === Infinity) return n;
  // Beyond nSat the transfer is never reached: cap just below it instead of dividing by ≤ 0.
  const y = Math.min(n, saturationCount * 0.999);
  return (saturationCount * y) / (saturationCount - y);
}

/**
 * Linear charge estimate (counts) for each measured count: the midpoint of its floor bin,
 * T⁻¹(n + ½). A clipped count (2^b − 1) only bounds the charge from below: T⁻¹(2^b − 1) is used.
 * With twin columns the ½ cancels in the differential n+ − n−.
 */
export function linearizeCounts(counts: Uint8Array, model: IfcModel): Float32Array {
  const top = topCount(model.precisionBits);
  const table = new Float32Array(top + 1);
  for (let n = 0; n <= top; n++)
    table[n] = ifcInverse(n < top ? n + 0.5 : top, model.saturationCount);
  const out = new Float32Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = table[counts[i]! > top ? top : counts[i]!]!;
  return out;
}

/** One point of a transfer curve: linear drive (µS·pulses) and the count it produced. */
export interface TransferPoint {
  microSPulses: number;
  count: number;
}

/**
 * Fit k and nSat to transfer points: 1/T(q) = 1/(k·m) + 1/nSat is linear in 1/m (m in µS·pulses),
 * fitted at the bin midpoints n + ½ with weights (n + ½)⁴ (the delta-method weight of a
 * reciprocal, which also keeps the small, offset-dominated counts from steering the fit).
 * Zero and clipped counts carry no level information and are skipped.
 */
export function fitIfcModel(points: Iterable<TransferPoint>, precisionBits: number): IfcModel {
  const top = topCount(precisionBits);
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let used = 0;
  let maxCount = 0;
  for (const { microSPulses: m, count: n } of points) {
    if (!(m > 0) || n <= 0 || n >= top) continue;
    const y = 1 / (n + 0.5);
    const x = 1 / m;
    const w = (n + 0.5) ** 4;
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
    used++;
    if (n > maxCount) maxCount = n;
  }
  const det = sw * sxx - sx * sx;
  if (used < 3 || !(det > 0))
    throw new BenchError(
      'INVALID_ARGUMENT',
      `cannot fit the IFC transfer: ${used} usable points (need ≥ 3 with counts strictly between 0 and ${top} at different drives)`,
      { field: 'points', used },
    );
  let slope = (sw * sxy - sx * sy) / det;
  const intercept = (sy - slope * sx) / sw;
  // A saturation that bends the largest count seen by under 1% is not resolved by the data (and
  // would not matter): call the readout linear, and refit the slope through the origin so the
  // unresolved intercept does not bias it.
  const linear = !(intercept * maxCount > 0.01);
  if (linear) slope = sxy / sxx;
  if (!(slope > 0))
    throw new BenchError(
      'INVALID_ARGUMENT',
      'cannot fit the IFC transfer: counts do not rise with drive',
      { field: 'points' },
    );
  if (linear) return { countsPerMicroSPulse: 1 / slope, saturationCount: Infinity, precisionBits };
  const [k, c] = refine([...points], top, 1 / slope, intercept);
  return { countsPerMicroSPulse: k, saturationCount: 1 / c, precisionBits };
}

/**
 * Gauss–Newton on Σ (n + ½ − T(m))², T(m) = k·m/(1 + c·k·m), from the reciprocal fit. The
 * reciprocal fit alone is biased when columns scatter (offsets, gains): 1/n is convex.
 */
function refine(points: TransferPoint[], top: number, k0: number, c0: number): [number, number] {
  let k = k0;
  let c = c0;
  const used = points.filter((p) => p.microSPulses > 0 && p.count > 0 && p.count < top);
  for (let iter = 0; iter < 20; iter++) {
    let a11 = 0;
    let a12 = 0;
    let a22 = 0;
    let b1 = 0;
    let b2 = 0;
    for (const { microSPulses: m, count: n } of used) {
      const d = 1 + c * k * m;
      const r = n + 0.5 - (k * m) / d;
      const jk = m / (d * d);
      const jc = -((k * m) ** 2) / (d * d);
      a11 += jk * jk;
      a12 += jk * jc;
      a22 += jc * jc;
      b1 += jk * r;
      b2 += jc * r;
    }
    const det = a11 * a22 - a12 * a12;
    if (!(det > 0)) break;
    const dk = (a22 * b1 - a12 * b2) / det;
    const dc = (a11 * b2 - a12 * b1) / det;
    k += dk;
    c = Math.max(c + dc, 1e-12);
    if (Math.abs(dk) < 1e-9 * k && Math.abs(dc) < 1e-9 * c) break;
  }
  return [k, c];
}
