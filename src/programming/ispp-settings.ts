/**
 * Settings of host-driven write-verify (incremental step pulse programming, ISPP), resolved
 * against the chip's safe operating area from `identify`. Everything the host may choose is an
 * option with a default; nothing resolved here lies outside the limits, so the driver's limit
 * check never refuses a pulse halfway through an array.
 */
import type { ChipInfo, Polarity } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';

/** The amplitude ramp and pulse shape of one polarity. */
export interface IsppRamp {
  /** First (lowest) amplitude of the ramp (V). Default max(1.2 V, the limit's minimum). */
  startV: number;
  /** Raise per pulse that made no progress (V). Default 0.1. */
  stepV: number;
  /** Last (highest) amplitude (V). Default the limit's maximum. */
  stopV: number;
  /** Gate voltage (V). Default the limit's maximum: the amplitude, not the compliance, sets the step. */
  gateV: number;
}

/** Host ISPP options; every field optional. */
export interface IsppOptions {
  /** Accept a cell when |G − target| ≤ tolerance (µS). Default 1. */
  toleranceMicroS?: number;
  /** Verify reads averaged per iteration. Default 8 (at most the chip's maxReadAverage). */
  verifyAverage?: number;
  /** SET ramp overrides. */
  set?: Partial<IsppRamp>;
  /** RESET ramp overrides. */
  reset?: Partial<IsppRamp>;
  /** Pulse width (s). Default 1 µs, clamped into the chip's limits. */
  widthS?: number;
  /** Most iterations (verify + pulse) per cell. Default the chip's maxProgramIterations. */
  maxIterations?: number;
  /** Most pulses per polarity per cell. Default the chip's maxProgramPulsesPerPolarity. */
  maxPulsesPerPolarity?: number;
  /**
   * Fraction of the remaining error each pulse aims to correct. Default 0.7: undershooting
   * costs one more small pulse, overshooting costs a polarity switch.
   */
  aim?: number;
  /**
   * A cell still out of tolerance after this many pulses that left it where it started (within
   * `stuckMicroS` or 4σ of the verify read noise, whichever is larger) is declared stuck and
   * left alone. Default 6.
   */
  stuckPulses?: number;
  /** Movement below which a cell counts as not switching (µS). Default 0.5. */
  stuckMicroS?: number;
  /**
   * Read noise assumed for the guard band (σ relative to G, one read). Default 0.01, the
   * design's figure; pass a characterised NoiseModel's `readNoise.relative` when there is one.
   */
  readNoiseRelative?: number;
  /**
   * Additive read noise assumed for the guard band (σ in µS, one read, independent of G).
   * Default 0.4, the design's ≈ 1% of a 40 µS range; pass a characterised NoiseModel's when
   * there is one.
   */
  readNoiseAdditiveMicroS?: number;
  /**
   * Guard band in read-noise σ of the averaged verify: a cell is accepted when its verify lies
   * within tolerance − guardSigmas·σ, so that its true conductance is within tolerance too. Default 2.
   */
  guardSigmas?: number;
}

/** Resolved ISPP settings. */
export interface IsppSettings {
  toleranceMicroS: number;
  verifyAverage: number;
  widthS: number;
  maxIterations: number;
  maxPulsesPerPolarity: number;
  aim: number;
  stuckPulses: number;
  stuckMicroS: number;
  readNoiseRelative: number;
  readNoiseAdditiveMicroS: number;
  guardSigmas: number;
  set: IsppRamp;
  reset: IsppRamp;
  /** Conductance window (µS) targets must lie in. */
  windowMicroS: { min: number; max: number };
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new BenchError('INVALID_ARGUMENT', `${field}: ${message}`, { field });
}

function ramp(info: ChipInfo, polarity: Polarity, given: Partial<IsppRamp> = {}): IsppRamp {
  const soa = polarity === 'SET' ? info.limits.set : info.limits.reset;
  const r: IsppRamp = {
    startV: given.startV ?? Math.min(soa.amplitudeV.max, Math.max(1.2, soa.amplitudeV.min)),
    stepV: given.stepV ?? 0.1,
    stopV: given.stopV ?? soa.amplitudeV.max,
    gateV: given.gateV ?? soa.gateV.max,
  };
  const p = polarity.toLowerCase();
  const inside = (v: number, lo: number, hi: number) => Number.isFinite(v) && v >= lo && v <= hi;
  const a = soa.amplitudeV;
  check(inside(r.startV, a.min, a.max), `${p}.startV`, `must lie in [${a.min}, ${a.max}] V`);
  check(inside(r.stopV, r.startV, a.max), `${p}.stopV`, `must lie in [startV, ${a.max}] V`);
  check(r.stepV > 0 && Number.isFinite(r.stepV), `${p}.stepV`, 'must be a positive voltage');
  check(inside(r.gateV, soa.gateV.min, soa.gateV.max), `${p}.gateV`, 'outside the gate limit');
  return r;
}

/** Resolve ISPP options against the chip; throws INVALID_ARGUMENT naming the bad field. */
export function isppSettings(info: ChipInfo, options: IsppOptions = {}): IsppSettings {
  const lim = info.limits;
  const w = lim.pulseWidthS;
  const s: IsppSettings = {
    toleranceMicroS: options.toleranceMicroS ?? 1,
    verifyAverage: options.verifyAverage ?? Math.min(8, lim.maxReadAverage),
    widthS: options.widthS ?? Math.min(w.max, Math.max(w.min, 1e-6)),
    maxIterations: options.maxIterations ?? lim.maxProgramIterations,
    maxPulsesPerPolarity: options.maxPulsesPerPolarity ?? lim.maxProgramPulsesPerPolarity,
    aim: options.aim ?? 0.7,
    stuckPulses: options.stuckPulses ?? 6,
    stuckMicroS: options.stuckMicroS ?? 0.5,
    readNoiseRelative: options.readNoiseRelative ?? 0.01,
    readNoiseAdditiveMicroS: options.readNoiseAdditiveMicroS ?? 0.4,
    guardSigmas: options.guardSigmas ?? 2,
    set: ramp(info, 'SET', options.set),
    reset: ramp(info, 'RESET', options.reset),
    windowMicroS: { ...info.conductanceWindowMicroS },
  };
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  check(
    s.toleranceMicroS > 0 && Number.isFinite(s.toleranceMicroS),
    'toleranceMicroS',
    'must be > 0',
  );
  check(
    int(s.verifyAverage, 1, lim.maxReadAverage),
    'verifyAverage',
    `must be an integer in [1, ${lim.maxReadAverage}]`,
  );
  check(s.widthS >= w.min && s.widthS <= w.max, 'widthS', `must lie in [${w.min}, ${w.max}] s`);
  check(
    int(s.maxIterations, 1, lim.maxProgramIterations),
    'maxIterations',
    `must be an integer in [1, ${lim.maxProgramIterations}]`,
  );
  check(
    int(s.maxPulsesPerPolarity, 1, lim.maxProgramPulsesPerPolarity),
    'maxPulsesPerPolarity',
    `must be an integer in [1, ${lim.maxProgramPulsesPerPolarity}]`,
  );
  check(s.aim > 0 && s.aim <= 1, 'aim', 'must lie in (0, 1]');
  check(int(s.stuckPulses, 1, 1000), 'stuckPulses', 'must be a positive integer');
  check(
    s.readNoiseRelative >= 0 && s.readNoiseRelative < 1,
    'readNoiseRelative',
    'must lie in [0, 1)',
  );
  check(
    s.readNoiseAdditiveMicroS >= 0 && Number.isFinite(s.readNoiseAdditiveMicroS),
    'readNoiseAdditiveMicroS',
    'must be ≥ 0',
  );
  check(s.guardSigmas >= 0 && Number.isFinite(s.guardSigmas), 'guardSigmas', 'must be ≥ 0');
  check(s.stuckMicroS >= 0 && Number.isFinite(s.stuckMicroS), 'stuckMicroS', 'must be ≥ 0');
  return s;
}

/**
 * Half-width of the acceptance window for a verify of a cell targeted at `targetMicroS` (µS):
 * the tolerance less the guard band, never below a quarter of the tolerance.
 */
export function acceptWindow(s: IsppSettings, targetMicroS: number): number {
  const sigma = verifySigma(s, targetMicroS);
  return Math.max(0.25 * s.toleranceMicroS, s.toleranceMicroS - s.guardSigmas * sigma);
}

/** σ of one averaged verify read of a cell at `gMicroS` (µS): √((relative·G)² + additive²)/√average. */
export function verifySigma(s: IsppSettings, gMicroS: number): number {
  const rel = s.readNoiseRelative * gMicroS;
  const add = s.readNoiseAdditiveMicroS;
  return Math.sqrt(rel * rel + add * add) / Math.sqrt(s.verifyAverage);
}
