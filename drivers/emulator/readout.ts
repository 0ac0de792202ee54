/**
 * The integrate-and-fire readout (IFC), one per column. A column integrates charge
 * Q = Σ_i x_i·Vref·g_ij·t_pulse; each time the capacitor reaches α = C·Vth it fires and resets,
 * losing a refractory time t0. Over a window t_m the count is
 *   n = t_m / (α/I + t0),  I = Q / t_m,
 * linear (n ≈ Q/α) for small charge and saturating towards t_m/t0; it is floored (whole spikes)
 * and clipped at 2^b − 1. Each column has its own gain and offset (mismatch). In TTFS mode the
 * column reports the tick of its first spike, t1 = α/I + t0, on a 2^b-tick grid over the window.
 *
 * Inputs here are already in linear count units, q = Q/α (the MVM kernel folds Vref, the pulse
 * width and α into one factor), so Vref scales q (proportional tuning) while Vth scales q and,
 * through t0, the saturation level (distorted tuning).
 */
import type { ReadoutMode } from '../driver.ts';
import { refractoryS } from './energy.ts';
import type { Profile } from './profile.ts';
import type { Rng } from './rng.ts';

/** Readout settings in force for a conversion. */
export interface ConversionSettings {
  precisionBits: number;
  vthV: number;
  integrationWindowS: number;
  mode: ReadoutMode;
  ttfsStopFraction: number;
}

/** Saturation count t_m/t0 of the IFC at these settings. */
export function saturationCount(p: Profile, s: ConversionSettings): number {
  return s.integrationWindowS / refractoryS(p, s.vthV);
}

/** Ideal-column spike count for linear charge q (counts), before flooring and clipping. */
export function ifcTransfer(q: number, nSat: number, linear: boolean): number {
  if (q <= 0) return 0;
  return linear ? q : (nSat * q) / (nSat + q);
}

/**
 * The count a column reports for linear charge q: whole spikes of `ifcTransfer`, clipped at
 * `top` = 2^b − 1. The one formula of the COUNT readout (the MVM hot path calls it per output).
 */
export function ifcCount(q: number, nSat: number, linear: boolean, top: number): number {
  const v = Math.floor(ifcTransfer(q, nSat, linear));
  return v > top ? top : v;
}

/**
 * First-spike tick for linear charge q on a 2^b grid over the window; `2^b − 1` means the column
 * did not fire in time. t1/t_m = 1/q + 1/nSat (the second term vanishes for a linear readout).
 */
export function ifcFirstSpikeTick(q: number, bits: number, nSat: number, linear: boolean): number {
  const top = (1 << bits) - 1;
  if (q <= 0) return top;
  const tick = Math.floor((1 << bits) * (1 / q + (linear ? 0 : 1 / nSat)));
  return tick < top ? tick : top;
}

function sameColumns(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Per-column mismatch and the conversion of column charges into output values. */
export class Readout {
  /** Relative gain of each physical column (1 = ideal). */
  readonly gain: Float32Array;
  /** Offset of each physical column, as a fraction of full scale. */
  readonly offset: Float32Array;

  constructor(
    private readonly profile: Profile,
    rng: Rng | { gain: Float32Array; offset: Float32Array },
  ) {
    if ('gain' in rng) {
      this.gain = rng.gain;
      this.offset = rng.offset;
      return;
    }
    this.gain = new Float32Array(profile.cols);
    this.offset = new Float32Array(profile.cols);
    for (let j = 0; j < profile.cols; j++) {
      this.gain[j] = 1 + profile.ifc.gainSigma * rng.normal();
      this.offset[j] = profile.ifc.offsetSigma * rng.normal();
    }
  }

  /** One-entry cache of `settingsFor` (the same columns and settings come call after call). */
  private cached:
    | {
        cols: readonly number[];
        bits: number;
        vthV: number;
        window: number;
        scale: number;
        value: ReturnType<Readout['computeSettings']>;
      }
    | undefined;

  /** What a conversion of `cols` needs: full scale, saturation, and per-column gain (× `scale`) and offset (counts). */
  private settingsFor(cols: readonly number[], s: ConversionSettings, scale: number) {
    const c = this.cached;
    if (
      c &&
      c.bits === s.precisionBits &&
      c.vthV === s.vthV &&
      c.window === s.integrationWindowS &&
      c.scale === scale &&
      sameColumns(c.cols, cols)
    )
      return c.value;
    const value = this.computeSettings(cols, s, scale);
    this.cached = {
      cols: cols.slice(),
      bits: s.precisionBits,
      vthV: s.vthV,
      window: s.integrationWindowS,
      scale,
      value,
    };
    return value;
  }

  private computeSettings(cols: readonly number[], s: ConversionSettings, scale: number) {
    const top = (1 << s.precisionBits) - 1;
    return {
      n: cols.length,
      top,
      nSat: saturationCount(this.profile, s),
      linear: this.profile.ifc.linear,
      gain: Float32Array.from(cols, (c) => this.gain[c]! * scale),
      offset: Float32Array.from(cols, (c) => this.offset[c]! * top),
    };
  }

  /**
   * COUNT readout of raw column sums in one pass (the hot path of every MVM): adds the read
   * noise (σ = √variance, drawn with `rng.quickNormal`; none without a variance), scales
   * µS·pulses to linear counts by `scale`, and converts.
   */
  countNoisy(
    sums: Float32Array,
    variance: Float32Array | undefined,
    scale: number,
    rng: Rng | undefined,
    batch: number,
    cols: readonly number[],
    s: ConversionSettings,
    out: Uint8Array,
  ): { spikes: number; conversionS: number } {
    const { n, top, nSat, linear, gain, offset } = this.settingsFor(cols, s, scale);
    let spikes = 0;
    for (let b = 0; b < batch; b++) {
      const o = b * n;
      for (let j = 0; j < n; j++) {
        const sum =
          variance && rng
            ? sums[o + j]! + Math.sqrt(variance[o + j]!) * rng.quickNormal()
            : sums[o + j]!;
        const c = ifcCount(gain[j]! * sum + offset[j]!, nSat, linear, top);
        out[o + j] = c;
        spikes += c;
      }
    }
    return { spikes, conversionS: batch * s.integrationWindowS };
  }

  /**
   * Convert `q` (batch × cols.length linear counts) into `out` and return the spikes fired and
   * the summed conversion time of the batch (s, without setup cycles).
   */
  convert(
    q: Float32Array,
    batch: number,
    cols: readonly number[],
    s: ConversionSettings,
    out: Uint8Array,
  ): { spikes: number; conversionS: number } {
    if (s.mode === 'COUNT') return this.countNoisy(q, undefined, 1, undefined, batch, cols, s, out);
    const bits = s.precisionBits;
    const { n, top, nSat, linear, gain, offset } = this.settingsFor(cols, s, 1);
    let spikes = 0;
    // TTFS: first-spike ticks; the timing threshold stops the layer once enough columns fired.
    const stopAfter = Math.max(1, Math.ceil(s.ttfsStopFraction * n));
    const ticks = new Uint8Array(n);
    let conversionS = 0;
    for (let b = 0; b < batch; b++) {
      const o = b * n;
      for (let j = 0; j < n; j++)
        ticks[j] = ifcFirstSpikeTick(gain[j]! * q[o + j]! + offset[j]!, bits, nSat, linear);
      let stopTick = top;
      if (stopAfter < n) {
        const sorted = ticks.slice().sort();
        const kth = sorted[stopAfter - 1]!;
        if (kth < top) stopTick = kth;
      }
      for (let j = 0; j < n; j++) {
        const t = ticks[j]! <= stopTick && ticks[j]! < top ? ticks[j]! : top;
        out[o + j] = t;
        if (t < top) spikes++;
      }
      conversionS += (s.integrationWindowS * Math.min(stopTick + 1, 1 << bits)) / (1 << bits);
    }
    return { spikes, conversionS };
  }
}
