/**
 * The emulated macro: the cell array, the IFC readout, the readout configuration and the MVM
 * itself. One noisy MVM batch costs two matrix products and one normal draw per output:
 * per-cell Gaussian read noise summed over a column is Gaussian with variance
 * Σ_i x_i²·σ_ij², σ_ij = relative·g_ij (see docs/physics.md).
 */
import type { MvmResult, ReadoutConfig } from '../driver.ts';
import { CellArray, type CellArrayState } from './cells.ts';
import type { Clock } from './clock.ts';
import {
  countsPerMicroSPulse,
  defaultOperating,
  energyJ,
  integrationWindowS,
  mvmTimeS,
  type Operating,
} from './energy.ts';
import { fusedMatVec, type MatmulKernel, type Weights } from './kernel.ts';
import type { Profile } from './profile.ts';
import { Readout } from './readout.ts';
import { Rng } from './rng.ts';

/** Everything needed to restore a macro exactly. */
export interface MacroState {
  profileName: string;
  model: string;
  seed: number;
  cells: CellArrayState;
  gain: Float32Array;
  offset: Float32Array;
  rng: { cells: number[]; noise: number[] };
  config: ReadoutConfig;
}

/** The readout configuration a profile starts in. */
export function defaultReadoutConfig(p: Profile): ReadoutConfig {
  const op = defaultOperating(p);
  return {
    precisionBits: op.precisionBits,
    readV: op.readV,
    vthV: op.vthV,
    integrationWindowS: op.integrationWindowS,
    mode: 'COUNT',
    ttfsStopFraction: 1,
  };
}

/**
 * How far (in decades of age) the youngest write may age before the cached conductance map is
 * rebuilt: 0.01 decade, 2.3% of its age. Relaxation variance grows by at most ≈ 2.4 µS² per
 * decade (G/gMax ≈ 0.5, 1 s → 1 day), so between rebuilds a cell's conductance moves by at most
 * ≈ 0.15 µS RMS — under 40% of one read's additive noise (0.4 µS). Older cells move less.
 */
export const MAP_RESOLUTION_DECADES = 0.01;
const MAP_RATIO = 10 ** MAP_RESOLUTION_DECADES;

/**
 * Batches up to this size use the fused plain-TypeScript product (kernel.ts `fusedMatVec`: mean
 * and variance in one pass over the weights, no kernel call); larger ones the fast kernel, whose
 * fixed cost per call (tensor creation, copies) only pays off over many vectors. With the
 * reference kernel every batch goes through it (the benchmarks' baseline).
 */
export const SMALL_BATCH = 8;

interface SubMatrix {
  /** Map build the sub-matrix was cut from. */
  stamp: number;
  rows: readonly number[];
  cols: readonly number[];
  /** Conductances (µS), k × n row-major. */
  g: Float32Array;
  /** (relative·g)² (µS²), k × n; absent when the profile has no proportional read noise. */
  gVar?: Float32Array;
  /** The same in the fast kernel, uploaded on first use by a large batch. */
  fast?: { g: Weights; gVar?: Weights };
  /** Σ_j g_ij over the read columns, per driven row (µS), for the energy model. */
  rowSums: Float64Array;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Macro {
  readonly cells: CellArray;
  readonly readout: Readout;
  /** Readout configuration in force. */
  config: ReadoutConfig;
  /** Conductance-map rebuilds so far (for tests and benchmarks). */
  mapBuilds = 0;
  private readonly cellRng: Rng;
  private readonly noiseRng: Rng;
  private readonly map: Float32Array;
  private mapVersion = -1;
  private mapTime = -Infinity;
  private sub: SubMatrix | undefined;
  private scratch = new Float32Array(0);

  constructor(
    readonly profile: Profile,
    readonly seed: number,
    readonly clock: Clock,
    private readonly kernel: MatmulKernel,
    restored?: MacroState,
  ) {
    const root = new Rng(seed);
    this.cellRng = root.fork();
    const readoutRng = root.fork();
    this.noiseRng = root.fork();
    if (restored) {
      this.cellRng.setState(restored.rng.cells);
      this.noiseRng.setState(restored.rng.noise);
      this.cells = CellArray.fromState(profile, restored.cells, this.cellRng, clock);
      this.readout = new Readout(profile, { gain: restored.gain, offset: restored.offset });
      this.config = { ...restored.config };
    } else {
      this.cells = new CellArray(profile, this.cellRng, clock);
      this.readout = new Readout(profile, readoutRng);
      this.config = defaultReadoutConfig(profile);
    }
    this.map = new Float32Array(profile.rows * profile.cols);
  }

  /** The operating point for timing and energy. */
  operating(): Operating {
    return { ...this.config, clockHz: this.profile.clockHz };
  }

  /** Default integration window for a precision (s). */
  windowFor(bits: number): number {
    return integrationWindowS(this.profile, bits);
  }

  /**
   * Whether the map built at `mapTime` is out of date at `t` without any write since: only while
   * the youngest write is still relaxing, and only once its age grew by MAP_RESOLUTION_DECADES.
   */
  private stale(t: number): boolean {
    const tw = this.cells.lastWriteS;
    const relax = this.cells.relaxation;
    if (!Number.isFinite(tw) || relax.isZero) return false;
    const built = this.mapTime - tw;
    if (built >= relax.settledAfterS) return false;
    return t - tw > Math.max(built, relax.quietBeforeS) * MAP_RATIO;
  }

  /**
   * The true conductance map (µS) at time t, cached: rebuilt when a cell was written, or when
   * relaxation moved by more than the resolution documented at MAP_RESOLUTION_DECADES.
   */
  conductances(t: number): Float32Array {
    if (this.cells.version !== this.mapVersion || this.stale(t)) {
      this.cells.conductanceMap(t, this.map);
      this.mapVersion = this.cells.version;
      this.mapTime = t;
      this.mapBuilds++;
    }
    return this.map;
  }

  private subMatrix(rows: readonly number[], cols: readonly number[], t: number): SubMatrix {
    const map = this.conductances(t);
    const stamp = this.mapBuilds;
    const old = this.sub;
    if (old && old.stamp === stamp && sameList(old.rows, rows) && sameList(old.cols, cols))
      return old;
    this.disposeFast();
    const k = rows.length;
    const n = cols.length;
    const g = new Float32Array(k * n);
    const rowSums = new Float64Array(k);
    const rel = this.profile.readNoise.relative;
    const gVar = rel > 0 ? new Float32Array(k * n) : undefined;
    for (let i = 0; i < k; i++) {
      const base = rows[i]! * this.profile.cols;
      let s = 0;
      for (let j = 0; j < n; j++) {
        const v = map[base + cols[j]!]!;
        g[i * n + j] = v;
        s += v;
        if (gVar) gVar[i * n + j] = rel * rel * v * v;
      }
      rowSums[i] = s;
    }
    this.sub = { stamp, rows: rows.slice(), cols: cols.slice(), g, gVar, rowSums };
    return this.sub;
  }

  /** The sub-matrix in the fast kernel (uploaded once per sub-matrix). */
  private fastWeights(sub: SubMatrix): { g: Weights; gVar?: Weights } {
    const k = sub.rows.length;
    const n = sub.cols.length;
    sub.fast ??= {
      g: this.kernel.upload(sub.g, k, n),
      gVar: sub.gVar && this.kernel.upload(sub.gVar, k, n),
    };
    return sub.fast;
  }

  private disposeFast(): void {
    this.sub?.fast?.g.dispose();
    this.sub?.fast?.gVar?.dispose();
    if (this.sub) this.sub.fast = undefined;
  }

  /** Run a checked batch of MVMs (inputs: batch × rows.length pulse counts). */
  mvm(
    rows: readonly number[],
    cols: readonly number[],
    inputs: Uint8Array,
    batch: number,
  ): MvmResult {
    const t = this.clock.now();
    const sub = this.subMatrix(rows, cols, t);
    const k = rows.length;
    const n = cols.length;
    const add = this.profile.readNoise.additiveMicroS;
    const noisy = sub.gVar !== undefined || add > 0;
    let mean: Float32Array;
    let variance: Float32Array | undefined;
    // Activity for the energy model, and Σx² per vector for the additive read noise.
    let inputPulses = 0;
    let microSPulses = 0;
    const sumSq = new Float64Array(batch);
    const rowSums = sub.rowSums;
    if (batch <= SMALL_BATCH && this.kernel.name !== 'reference') {
      // Fused plain TypeScript: one pass over the weights computes both products.
      mean = new Float32Array(batch * n);
      variance = noisy ? new Float32Array(batch * n) : undefined;
      fusedMatVec(inputs, batch, k, n, sub.g, sub.gVar, mean, variance, sumSq);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < k; i++) {
          const v = inputs[b * k + i]!;
          inputPulses += v;
          microSPulses += v * rowSums[i]!;
        }
      }
    } else {
      const fast = this.fastWeights(sub);
      // Reused across calls: the kernel copies the inputs into its own memory anyway.
      if (this.scratch.length < inputs.length) this.scratch = new Float32Array(inputs.length);
      const x = this.scratch.subarray(0, inputs.length);
      x.set(inputs);
      mean = this.kernel.matmul(x, batch, fast.g);
      for (let b = 0; b < batch; b++) {
        const o = b * k;
        let sq = 0;
        for (let i = 0; i < k; i++) {
          const v = x[o + i]!;
          inputPulses += v;
          microSPulses += v * rowSums[i]!;
          x[o + i] = v * v;
          sq += v * v;
        }
        sumSq[b] = sq;
      }
      variance = fast.gVar
        ? this.kernel.matmul(x, batch, fast.gVar)
        : noisy
          ? new Float32Array(batch * n)
          : undefined;
    }
    if (variance && add > 0) {
      const a2 = add * add;
      for (let b = 0; b < batch; b++) {
        const extra = a2 * sumSq[b]!;
        const o = b * n;
        for (let j = 0; j < n; j++) variance[o + j]! += extra;
      }
    }
    const scale = countsPerMicroSPulse(this.profile, this.config.readV, this.config.vthV);
    const values = new Uint8Array(batch * n);
    let readout: { spikes: number; conversionS: number };
    if (this.config.mode === 'COUNT') {
      // One pass: noise (quickNormal: 65,536 levels, tails cut at ±4.3σ), scale, IFC.
      readout = this.readout.countNoisy(
        mean,
        variance,
        scale,
        this.noiseRng,
        batch,
        cols,
        this.config,
        values,
      );
    } else {
      const rng = this.noiseRng;
      for (let i = 0; i < mean.length; i++)
        mean[i] = (mean[i]! + (variance ? Math.sqrt(variance[i]!) * rng.quickNormal() : 0)) * scale;
      readout = this.readout.convert(mean, batch, cols, this.config, values);
    }
    const { spikes, conversionS } = readout;
    const op = this.operating();
    const perVector = mvmTimeS(this.profile, op) - this.config.integrationWindowS;
    const latencyS = batch * perVector + conversionS;
    return {
      mode: this.config.mode,
      precisionBits: this.config.precisionBits,
      batch,
      values,
      energyJ: energyJ(this.profile, op, { inputPulses, microSPulses, spikes, timeS: latencyS }),
      latencyS,
    };
  }

  /** Snapshot for save/load. */
  toState(): MacroState {
    return {
      profileName: this.profile.name,
      model: this.profile.model,
      seed: this.seed,
      cells: this.cells.toState(),
      gain: this.readout.gain,
      offset: this.readout.offset,
      rng: { cells: this.cellRng.getState(), noise: this.noiseRng.getState() },
      config: { ...this.config },
    };
  }

  /** Release kernel memory. */
  dispose(): void {
    this.disposeFast();
    this.sub = undefined;
  }
}
