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
import type { MatmulKernel, Weights } from './kernel.ts';
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

interface SubMatrix {
  key: string;
  g: Weights;
  /** (relative·g)², absent when the profile has no read noise. */
  gVar?: Weights;
  /** Σ_j g_ij over the read columns, per driven row (µS), for the energy model. */
  rowSums: Float64Array;
}

export class Macro {
  readonly cells: CellArray;
  readonly readout: Readout;
  /** Readout configuration in force. */
  config: ReadoutConfig;
  private readonly cellRng: Rng;
  private readonly noiseRng: Rng;
  private readonly map: Float32Array;
  private mapVersion = -1;
  private mapTime = -Infinity;
  private lastChangeTime = -Infinity;
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
   * The true conductance map (µS) at time t, recomputed when any cell changed or when time moved
   * far enough for relaxation to matter: by 10 ms plus 5% of the time since the last change.
   * Relaxation grows with log time, so a 5% step in time moves σ by under 0.5% of its 1 s to
   * 1 day rise — far below the read noise — while a stream of MVMs does not rebuild the map
   * for every batch.
   */
  conductances(t: number): Float32Array {
    if (this.cells.version !== this.mapVersion) this.lastChangeTime = t;
    const stale = t - this.mapTime > 1e-2 + 0.05 * (t - this.lastChangeTime);
    if (this.cells.version !== this.mapVersion || stale) {
      this.cells.conductanceMap(t, this.map);
      this.mapVersion = this.cells.version;
      this.mapTime = t;
      this.sub?.g.dispose();
      this.sub?.gVar?.dispose();
      this.sub = undefined;
    }
    return this.map;
  }

  private subMatrix(rows: readonly number[], cols: readonly number[], t: number): SubMatrix {
    const map = this.conductances(t);
    const key = `${this.mapVersion}@${this.mapTime}|${rows.join(',')}|${cols.join(',')}`;
    if (this.sub?.key === key) return this.sub;
    this.sub?.g.dispose();
    this.sub?.gVar?.dispose();
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
    this.sub = {
      key,
      g: this.kernel.upload(g, k, n),
      gVar: gVar && this.kernel.upload(gVar, k, n),
      rowSums,
    };
    return this.sub;
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
    // Reused across calls: the kernel copies the inputs into its own memory anyway.
    if (this.scratch.length < inputs.length) this.scratch = new Float32Array(inputs.length);
    const x = this.scratch.subarray(0, inputs.length);
    x.set(inputs);
    const mean = this.kernel.matmul(x, batch, sub.g);
    // Activity for the energy model, and the squared inputs for the noise variance, in one pass.
    let inputPulses = 0;
    let microSPulses = 0;
    const rowSums = sub.rowSums;
    for (let b = 0; b < batch; b++) {
      const o = b * k;
      for (let i = 0; i < k; i++) {
        const v = x[o + i]!;
        inputPulses += v;
        microSPulses += v * rowSums[i]!;
        x[o + i] = v * v;
      }
    }
    const scale = countsPerMicroSPulse(this.profile, this.config.readV, this.config.vthV);
    const variance = sub.gVar && this.kernel.matmul(x, batch, sub.gVar);
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
    this.sub?.g.dispose();
    this.sub?.gVar?.dispose();
    this.sub = undefined;
  }
}
