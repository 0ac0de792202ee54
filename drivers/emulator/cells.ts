/**
 * The rows×cols population of 1T1R HfO2 cells: forming, stochastic state-dependent response to
 * SET/RESET pulses, device-to-device variation, stuck cells, relaxation after programming and
 * read noise. Pure physics: no limit checks (the driver does those) and no readout.
 *
 * Every number comes from the profile (docs in profile.ts, design.md §3); the few shape
 * constants below are documented where they are declared. All randomness comes from the
 * injected Rng, in a fixed order, so the same seed gives the same bits. State lives in typed
 * arrays (~40 bytes per cell, 2.6 MB for 256×256) so `conductanceMap` is one tight loop.
 *
 * Pulse model (per cell d, per pulse):
 *   s    = stepPerV·(V − threshold)·step_d·widthFactor·max(0, 1 + cycleToCycle·ξ), capped at 1
 *   SET  : G += s·(G_top − G),  G_top = min(G_hi_d, compliance(gate))
 *   RESET: G −= s·gateFactor·(G − G_lo_d)
 * The step is a fraction of the distance to the saturation level, so steps shrink near the
 * window edges (soft bounds) as in aihwkit's ReRAM presets.
 *
 * Relaxation: G(t) = G0 + shrink·X(G0, t − t_pulse, seed), clamped to [floor, G_hi_d], where X is
 * the random walk of relaxation.ts, seeded by a fresh 32-bit draw at every pulse (zero mean by
 * construction) and shrink is reduced per programming round.
 */
import type { Polarity } from '../driver.ts';
import { BenchError } from '../driver.ts';
import type { Clock } from './clock.ts';
import type { Profile } from './profile.ts';
import { RelaxationTable } from './relaxation.ts';
import type { Rng } from './rng.ts';

/** Stuck states. */
export const Stuck = { No: 0, Low: 1, High: 2 } as const;
/** Stuck state of a cell: 0 no, 1 at gMin, 2 at gMax. */
export type Stuck = (typeof Stuck)[keyof typeof Stuck];

/** Outcome of a board-side write-verify of one cell. */
export interface CellProgramOutcome {
  /** Conductance at the last verify read (µS). */
  finalMicroS: number;
  /** Pulses applied (both polarities). */
  pulses: number;
  /** Last verify within tolerance. */
  converged: boolean;
}

/**
 * Everything needed to restore a CellArray exactly. Besides `rows`, `cols`, `version` (numbers)
 * the values are typed arrays of rows×cols entries, listed in `STATE_ARRAYS`. The Rng is not
 * included: its owner saves it (`Rng.getState`).
 */
export interface CellArrayState {
  [key: string]: unknown;
}

/** Step multiplier floor: no cell is (nearly) unswitchable. */
const MIN_STEP_MULTIPLIER = 0.1;
/** Upper saturation headroom multiplier floor: G_hi_d stays above gMax. */
const MIN_HEADROOM_MULTIPLIER = 0.2;
/** Lower saturation level G_lo_d as a fraction of gMin: nominal, and its clamp (below gMin). */
const LO_NOMINAL = 0.5;
const LO_MIN = 0.1;
const LO_MAX = 0.9;
/** Step growth with pulse width: widthFactor = max(0.1, 1 + WIDTH_SLOPE·ln(width/reference)). */
const WIDTH_SLOPE = 0.3;
/** Gate voltage at which `forming.formedMicroS` holds (V); the formed G scales with gate. */
const FORM_REFERENCE_GATE_V = 1.2;
/** Pulse-to-pulse jitter of the effective forming voltage (V, σ). */
const FORM_JITTER_V = 0.03;
/** Spread of the conductance right after forming (relative σ). */
const FORMED_SPREAD = 0.1;

/** Write-verify firmware constants (the board knows only the nominal device model). */
const VERIFY_AIM = 0.7; // fraction of the error each pulse aims to correct: undershoot, not overshoot
const ISPP_STEP_V = 0.1; // amplitude raise per same-polarity pulse without progress
const NO_PROGRESS = 0.25; // a pulse moving G less than this fraction of the prediction made no progress

/** Names of the per-cell typed arrays in `toState()`, with their constructors. */
export const STATE_ARRAYS = {
  /** Programmed conductance G0 (µS); gMin/gMax for stuck cells, virginMicroS for virgin ones. */
  g0: Float32Array,
  /** 1 when formed. */
  formed: Uint8Array,
  /** Stuck state (0 no, 1 low, 2 high). */
  stuck: Uint8Array,
  /** Device-to-device step multiplier. */
  stepMul: Float32Array,
  /** Upper saturation level G_hi_d (µS). */
  gHi: Float32Array,
  /** Lower saturation level G_lo_d (µS). */
  gLo: Float32Array,
  /** Forming voltage (V). */
  formV: Float32Array,
  /** Chip time of the last effective pulse (s). */
  tLast: Float64Array,
  /** Relaxation multiplier of the current round: the cell's shrink, 0 without relaxation. */
  relaxAmp: Float32Array,
  /** Seed of the current round's relaxation random walk (relaxation.ts `excursion`). */
  relaxSeed: Uint32Array,
  /** Accumulated re-programming shrink multiplier. */
  shrink: Float32Array,
  /** Programming rounds so far (0: never pulsed since forming). */
  rounds: Uint16Array,
} as const;

type StateArrays = {
  -readonly [K in keyof typeof STATE_ARRAYS]: InstanceType<(typeof STATE_ARRAYS)[K]>;
};

/** The cells of one macro, addressed by row-major index `i = row·cols + col`. */
export class CellArray {
  readonly rows: number;
  readonly cols: number;
  /** Number of cells. */
  readonly size: number;
  /** Increments whenever any cell's programmed state changes (pulse, forming). */
  version = 0;
  /** Chip time of the most recent write (pulse or forming) of any cell (s); -Infinity before any. */
  lastWriteS = -Infinity;
  private readonly a: StateArrays;
  private readonly relax: RelaxationTable;
  /**
   * Per-cell cache of the relaxation walk's segment terms (derived, not saved): the segment k
   * (−1: unknown), C and D of relaxation.ts `segmentTerms`. A map rebuild then costs one
   * log10 and a few flops per cell.
   */
  private readonly segK: Int8Array;
  private readonly segC: Float64Array;
  private readonly segD: Float64Array;

  /** Draw a fresh chip from `rng` (`restore` is for `fromState` only). */
  constructor(
    readonly profile: Profile,
    private readonly rng: Rng,
    private readonly clock: Clock,
    restore?: StateArrays,
  ) {
    this.rows = profile.rows;
    this.cols = profile.cols;
    this.size = this.rows * this.cols;
    this.relax = new RelaxationTable(profile.relaxation, profile.conductance.gMaxMicroS);
    this.a = restore ?? this.draw();
    this.segK = new Int8Array(this.size).fill(-1);
    this.segC = new Float64Array(this.size);
    this.segD = new Float64Array(this.size);
    if (restore)
      for (let i = 0; i < this.size; i++)
        this.lastWriteS = Math.max(this.lastWriteS, restore.tLast[i]!);
  }

  /** The relaxation model of this chip's profile. */
  get relaxation(): RelaxationTable {
    return this.relax;
  }

  /** Relaxation excursion X of cell `i` at time `t` (µS, before shrink and clamping), via the cache. */
  private excursion(i: number, t: number): number {
    const relax = this.relax;
    const k = relax.locateAge(t - this.a.tLast[i]!);
    const w = relax.lastW;
    if (this.segK[i] !== k) {
      relax.segmentTerms(this.a.g0[i]!, k, this.a.relaxSeed[i]!);
      this.segC[i] = relax.lastC;
      this.segD[i] = relax.lastD;
      this.segK[i] = k;
    }
    return this.segC[i]! + Math.sqrt(w) * this.segD[i]!;
  }

  /** Draw the chip: stuck cells and device-to-device parameters, a fixed number of draws per cell. */
  private draw(): StateArrays {
    const n = this.size;
    const a = Object.fromEntries(
      Object.entries(STATE_ARRAYS).map(([k, C]) => [k, new C(n)]),
    ) as unknown as StateArrays;
    const { conductance: c, pulse: p, forming: f, stuck } = this.profile;
    const window = c.gMaxMicroS - c.gMinMicroS;
    const rng = this.rng;
    for (let i = 0; i < n; i++) {
      // Always six draws per cell so changing one parameter does not reshuffle the others.
      const uStuck = rng.uniform();
      const uLow = rng.uniform();
      const zStep = rng.normal();
      const zHi = rng.normal();
      const zLo = rng.normal();
      const zForm = rng.normal();
      a.stepMul[i] = Math.max(MIN_STEP_MULTIPLIER, 1 + p.stepDtoD * zStep);
      a.gHi[i] =
        c.gMaxMicroS +
        p.headroom * window * Math.max(MIN_HEADROOM_MULTIPLIER, 1 + p.windowDtoD * zHi);
      a.gLo[i] = c.gMinMicroS * clamp(LO_NOMINAL * (1 + p.windowDtoD * zLo), LO_MIN, LO_MAX);
      a.formV[i] = f.voltageMeanV + f.voltageSigmaV * zForm;
      a.shrink[i] = 1;
      if (uStuck < stuck.fraction) {
        const low = uLow < stuck.lowShare;
        a.stuck[i] = low ? Stuck.Low : Stuck.High;
        a.g0[i] = low ? c.gMinMicroS : c.gMaxMicroS;
      } else {
        a.g0[i] = c.virginMicroS;
      }
    }
    return a;
  }

  /** True when cell `i` (row-major index) has been formed, or is stuck (stuck cells never need forming). */
  isFormed(i: number): boolean {
    return this.a.formed[i] === 1 || this.a.stuck[i] !== Stuck.No;
  }

  /** Stuck state of cell `i`. */
  stuck(i: number): Stuck {
    return (this.a.stuck[i] ?? Stuck.No) as Stuck;
  }

  /**
   * One forming pulse on cell `i`; returns true when the cell is formed afterwards. The cell forms
   * when the amplitude (with a small per-pulse jitter) reaches its forming voltage; it then
   * conducts ≈ formedMicroS·gate/1.2 V. The width is not modelled (the driver checks its limits).
   */
  formPulse(i: number, amplitudeV: number, gateV: number, _widthS: number): boolean {
    const a = this.a;
    if (this.isFormed(i)) return true;
    const exact = this.profile.pulse.exact;
    const jitter = exact ? 0 : FORM_JITTER_V * this.rng.normal();
    if (amplitudeV + jitter < a.formV[i]!) return false;
    const { conductance: c, forming: f } = this.profile;
    const spread = exact ? 1 : 1 + FORMED_SPREAD * this.rng.normal();
    const g = f.formedMicroS * (Math.max(0, gateV) / FORM_REFERENCE_GATE_V) * spread;
    a.formed[i] = 1;
    a.g0[i] = clamp(g, c.gMinMicroS, a.gHi[i]!);
    // A freshly formed filament relaxes like a freshly written one (forming is not a round).
    a.tLast[i] = this.clock.now();
    a.relaxAmp[i] = this.relax.isZero ? 0 : 1;
    a.relaxSeed[i] = this.rng.nextU32();
    this.segK[i] = -1;
    this.lastWriteS = a.tLast[i]!;
    this.version++;
    return true;
  }

  /**
   * One SET or RESET pulse on cell `i` at the clock's current time. Returns false when it had no
   * effect because the cell is virgin or stuck; a sub-threshold pulse is applied (true) but
   * leaves the cell as it was.
   */
  pulse(i: number, polarity: Polarity, amplitudeV: number, widthS: number, gateV: number): boolean {
    const a = this.a;
    if (a.stuck[i] !== Stuck.No || a.formed[i] !== 1) return false;
    const p = this.profile.pulse;
    const t = this.clock.now();
    const g = this.conductanceAt(i, t);
    const over = amplitudeV - (polarity === 'SET' ? p.setThresholdV : p.resetThresholdV);
    if (!(over > 0)) return true;
    let target: number; // the level the step moves towards
    let gain = 1;
    if (polarity === 'SET') {
      target = Math.min(a.gHi[i]!, this.compliance(gateV));
      if (g >= target) return true;
    } else {
      target = a.gLo[i]!;
      gain = Math.min(1, this.gateFraction(gateV));
      if (g <= target || !(gain > 0)) return true;
    }
    const c2c = p.cycleToCycle > 0 ? Math.max(0, 1 + p.cycleToCycle * this.rng.normal()) : 1;
    const s = Math.min(
      1,
      p.stepPerV * over * a.stepMul[i]! * widthFactor(widthS, p.referenceWidthS) * c2c * gain,
    );
    this.commit(i, g + s * (target - g), t);
    return true;
  }

  /**
   * Place cell `i` exactly at `gMicroS` as one ideal pulse would (new relaxation draw, round
   * bookkeeping). The write of an `exact` profile, and a test helper; ignored for virgin or
   * stuck cells (returns false). Clamped to the cell's saturation levels.
   */
  placeExact(i: number, gMicroS: number): boolean {
    const a = this.a;
    if (a.stuck[i] !== Stuck.No || a.formed[i] !== 1) return false;
    this.commit(i, clamp(gMicroS, a.gLo[i]!, a.gHi[i]!), this.clock.now());
    return true;
  }

  /** Store a new programmed conductance written at time `t`: round bookkeeping and a new relaxation draw. */
  private commit(i: number, g: number, t: number): void {
    const a = this.a;
    const r = this.profile.relaxation;
    const rounds = a.rounds[i]!;
    let shrink = a.shrink[i]!;
    if (rounds === 0) {
      a.rounds[i] = 1;
    } else if (t - a.tLast[i]! > r.roundGapS) {
      // A pulse after a pause is a new programming round: each round relaxes less.
      shrink = Math.max(r.minShrink, shrink * r.reprogramShrink);
      a.shrink[i] = shrink;
      if (rounds < 0xffff) a.rounds[i] = rounds + 1;
    }
    a.g0[i] = g;
    a.tLast[i] = t;
    a.relaxAmp[i] = this.relax.isZero ? 0 : shrink;
    a.relaxSeed[i] = this.rng.nextU32();
    this.segK[i] = -1;
    this.lastWriteS = t;
    this.version++;
  }

  /** SET compliance level set by the access-transistor gate (µS); unbounded if the profile gives the gate no range. */
  private compliance(gateV: number): number {
    const { conductance: c } = this.profile;
    const f = this.gateFraction(gateV);
    return Number.isFinite(f) ? c.gMinMicroS + (c.gMaxMicroS - c.gMinMicroS) * f : Infinity;
  }

  /** (gate − gateThreshold)/(complianceGate − gateThreshold), ≥ 0; Infinity when that span is empty. */
  private gateFraction(gateV: number): number {
    const p = this.profile.pulse;
    const span = p.complianceGateV - p.gateThresholdV;
    if (!(span > 0)) return Infinity;
    return Math.max(0, (gateV - p.gateThresholdV) / span);
  }

  /** True conductance of cell `i` at time `t` (s), with relaxation, without read noise (µS). */
  conductanceAt(i: number, t: number): number {
    const a = this.a;
    const g0 = a.g0[i]!;
    const amp = a.relaxAmp[i]!;
    if (amp === 0) return g0;
    return clamp(g0 + amp * this.excursion(i, t), this.relax.floorMicroS, a.gHi[i]!);
  }

  /** All true conductances at time `t` into `out` (rows×cols, row-major, µS). */
  conductanceMap(t: number, out: Float32Array): void {
    const n = this.size;
    if (out.length < n)
      throw new RangeError(`conductanceMap needs ${n} entries, got ${out.length}`);
    const { g0, relaxAmp, gHi } = this.a;
    const lo = this.relax.floorMicroS;
    for (let i = 0; i < n; i++) {
      const base = g0[i]!;
      const amp = relaxAmp[i]!;
      if (amp === 0) {
        out[i] = base;
        continue;
      }
      const g = base + amp * this.excursion(i, t);
      const hi = gHi[i]!;
      out[i] = g < lo ? lo : g > hi ? hi : g;
    }
  }

  /**
   * One noisy read of cell `i` now (µS), averaged over `average` reads:
   * σ = √((relative·G)² + additive²)/√average.
   */
  read(i: number, average = 1): number {
    const g = this.conductanceAt(i, this.clock.now());
    const { relative: rel, additiveMicroS: add } = this.profile.readNoise;
    if (rel === 0 && add === 0) return g;
    const sigma = Math.sqrt(rel * rel * g * g + add * add);
    return g + (sigma / Math.sqrt(Math.max(1, average))) * this.rng.normal();
  }

  /**
   * Board-side write-verify of one cell to `targetMicroS` (the firmware's fast path). Each
   * iteration verifies; outside tolerance it applies one pulse whose polarity follows the error
   * and whose amplitude the nominal device model predicts to correct VERIFY_AIM of it, raised by
   * ISPP_STEP_V after each same-polarity pulse that made no progress. Gate 1.2·complianceGateV
   * (compliance above the window), width = referenceWidthS, everything within the profile limits.
   * Virgin cells are not pulsed; stuck cells get one verify.
   */
  program(
    i: number,
    targetMicroS: number,
    toleranceMicroS: number,
    maxIterations: number,
    maxPulsesPerPolarity: number,
    verifyAverage: number,
  ): CellProgramOutcome {
    const a = this.a;
    if (a.formed[i] !== 1 || a.stuck[i] !== Stuck.No) {
      const g = this.read(i, verifyAverage);
      const converged = a.stuck[i] !== Stuck.No && Math.abs(g - targetMicroS) <= toleranceMicroS;
      return { finalMicroS: g, pulses: 0, converged };
    }
    if (this.profile.pulse.exact) {
      this.placeExact(i, targetMicroS);
      const g = this.read(i, verifyAverage);
      return {
        finalMicroS: g,
        pulses: 1,
        converged: Math.abs(g - targetMicroS) <= toleranceMicroS,
      };
    }
    const fw = this.firmware();
    const counts = { SET: 0, RESET: 0 };
    let pulses = 0;
    let last: Polarity | undefined;
    let boost = 0;
    let g = this.read(i, verifyAverage);
    for (let iter = 1; ; iter++) {
      const err = targetMicroS - g;
      if (Math.abs(err) <= toleranceMicroS) return { finalMicroS: g, pulses, converged: true };
      const pol: Polarity = err > 0 ? 'SET' : 'RESET';
      if (iter >= maxIterations || counts[pol] >= maxPulsesPerPolarity) break;
      if (pol !== last) boost = 0;
      const m = pol === 'SET' ? fw.set : fw.reset;
      // Nominal step fraction s = k·(V − threshold); wanted fraction of the distance to saturation.
      const distance = pol === 'SET' ? fw.gTop - g : g - fw.gLo;
      const wanted = distance > 0 ? (VERIFY_AIM * Math.abs(err)) / distance : Infinity;
      const v = clamp(m.threshold + wanted / m.k + boost, m.minV, m.maxV);
      this.pulse(i, pol, v, fw.widthS, m.gateV);
      counts[pol]++;
      pulses++;
      last = pol;
      const gNew = this.read(i, verifyAverage);
      const predicted = Math.min(1, m.k * Math.max(0, v - m.threshold)) * distance;
      const moved = pol === 'SET' ? gNew - g : g - gNew;
      if (moved < NO_PROGRESS * predicted) boost += ISPP_STEP_V;
      g = gNew;
    }
    return { finalMicroS: g, pulses, converged: false };
  }

  /** The firmware's nominal pulse model and safe settings for write-verify (derived from the profile). */
  private firmware() {
    const { pulse: p, conductance: c, limits: lim } = this.profile;
    const widthS = clamp(p.referenceWidthS, lim.pulseWidthS.min, lim.pulseWidthS.max);
    const wf = widthFactor(widthS, p.referenceWidthS);
    const setGate = clamp(1.2 * p.complianceGateV, lim.set.gateV.min, lim.set.gateV.max);
    const resetGate = clamp(1.2 * p.complianceGateV, lim.reset.gateV.min, lim.reset.gateV.max);
    const resetGain = Math.min(1, this.gateFraction(resetGate));
    const gTop = Math.min(
      c.gMaxMicroS + p.headroom * (c.gMaxMicroS - c.gMinMicroS),
      this.compliance(setGate),
    );
    return {
      widthS,
      gTop,
      gLo: LO_NOMINAL * c.gMinMicroS,
      set: {
        threshold: p.setThresholdV,
        k: p.stepPerV * wf,
        gateV: setGate,
        minV: lim.set.amplitudeV.min,
        maxV: lim.set.amplitudeV.max,
      },
      reset: {
        threshold: p.resetThresholdV,
        k: p.stepPerV * wf * resetGain,
        gateV: resetGate,
        minV: lim.reset.amplitudeV.min,
        maxV: lim.reset.amplitudeV.max,
      },
    };
  }

  /** Snapshot for save/load: `rows`, `cols`, `version` and the typed arrays named in STATE_ARRAYS (copies). */
  toState(): CellArrayState {
    const state: CellArrayState = { rows: this.rows, cols: this.cols, version: this.version };
    for (const [k, arr] of Object.entries(this.a)) state[k] = (arr as Float32Array).slice();
    return state;
  }

  /** Restore from `toState()` output; throws STATE_INVALID when it does not fit the profile. */
  static fromState(profile: Profile, state: CellArrayState, rng: Rng, clock: Clock): CellArray {
    const n = profile.rows * profile.cols;
    const fail = (why: string): never => {
      throw new BenchError('STATE_INVALID', `cell state: ${why}`, {
        rows: profile.rows,
        cols: profile.cols,
      });
    };
    if (state.rows !== profile.rows || state.cols !== profile.cols) {
      fail(
        `geometry ${String(state.rows)}×${String(state.cols)} does not match the profile's ${profile.rows}×${profile.cols}`,
      );
    }
    const version = state.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
      fail('version is not a count');
    const arrays: Record<string, unknown> = {};
    for (const [k, C] of Object.entries(STATE_ARRAYS)) {
      const v = state[k];
      if (!(v instanceof C) || v.length !== n) fail(`${k} must be a ${C.name} of ${n} entries`);
      arrays[k] = (v as Float32Array).slice();
    }
    const cells = new CellArray(profile, rng, clock, arrays as unknown as StateArrays);
    cells.version = version as number;
    return cells;
  }
}

/** Step growth with pulse width, relative to the reference width. */
function widthFactor(widthS: number, referenceWidthS: number): number {
  if (!(widthS > 0)) return 0.1;
  return Math.max(0.1, 1 + WIDTH_SLOPE * Math.log(widthS / referenceWidthS));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
