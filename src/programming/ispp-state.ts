/**
 * Host ISPP as a per-cell state machine over typed arrays, so one object drives a whole array
 * with no allocation per pulse. The pipeline feeds it verify reads and pulse acknowledgements and
 * asks it for the next pulse of each cell; it never talks to a chip itself.
 *
 * Amplitude choice. The host does not know a cell's device parameters, only that HfO2 cells
 * are soft-bounded: a pulse moves G by a fraction of the distance to a saturation level beyond
 * the window, and that fraction grows with the amplitude above a switching onset. So each pulse
 * aims at `aim` of the remaining error with the amplitude a slope estimate predicts, and each
 * observed step refines that cell's slope (starting from the population's estimate, learned
 * from the cells programmed before). On top sits the classic ISPP ramp: a pulse that made less
 * than a quarter of the predicted progress raises the next amplitude of that polarity by one
 * step; an overshoot switches polarity and restarts that polarity's ramp.
 */
import type { Polarity } from '../../drivers/driver.ts';
import { CellStatus } from './cell-status.ts';
import { acceptWindow, verifySigma, type IsppRamp, type IsppSettings } from './ispp-settings.ts';

/** A pulse the state machine wants applied to one cell. */
export interface IsppPulse {
  polarity: Polarity;
  amplitudeV: number;
  gateV: number;
  widthS: number;
}

/** Slope (fraction of headroom per volt above onset) assumed before any cell was measured. */
const INITIAL_SLOPE = 0.05;
/** A pulse moving G by less than this fraction of its prediction made no progress. */
const NO_PROGRESS = 0.25;
/** Soft-bound saturation assumed beyond each window edge, as a fraction of the window. */
const SATURATION_HEADROOM = 0.5;

/** ISPP progress of a set of cells; index k is the cell's position in the targets. */
export class IsppState {
  /** Last verify read (µS). */
  readonly g: Float32Array;
  /** CellStatus per cell. */
  readonly status: Uint8Array;
  /** Pulses applied per cell, all rounds. */
  readonly pulses: Uint16Array;
  /** Chip time of the verify that followed each cell's last pulse (s); NaN before any verify. */
  readonly programmedAtS: Float64Array;
  private readonly iterations: Uint16Array;
  private readonly perPolarity: Uint16Array; // [k*2] SET, [k*2+1] RESET, this round
  private readonly lastPolarity: Uint8Array;
  private readonly lastV: Float32Array; // amplitude of the pulse awaiting its verify, 0 if none
  private readonly lastDistance: Float32Array;
  private readonly lastG: Float32Array;
  private readonly boost: Float32Array; // [k*2 + p]
  private readonly slope: Float32Array; // [k*2 + p], 0 = not yet measured
  private readonly firstG: Float32Array;
  private readonly maxMove: Float32Array;
  private readonly roundPulses: Uint16Array;
  private readonly accept: Float32Array;
  private readonly satHi: number;
  private readonly satLo: number;
  private readonly logSlopeSum = [0, 0];
  private readonly slopeCount = [0, 0];

  constructor(
    readonly settings: IsppSettings,
    readonly targets: Float32Array,
  ) {
    const n = targets.length;
    this.g = new Float32Array(n).fill(NaN);
    this.status = new Uint8Array(n);
    this.pulses = new Uint16Array(n);
    this.programmedAtS = new Float64Array(n).fill(NaN);
    this.iterations = new Uint16Array(n);
    this.perPolarity = new Uint16Array(2 * n);
    this.lastPolarity = new Uint8Array(n);
    this.lastV = new Float32Array(n);
    this.lastDistance = new Float32Array(n);
    this.lastG = new Float32Array(n);
    this.boost = new Float32Array(2 * n);
    this.slope = new Float32Array(2 * n);
    this.firstG = new Float32Array(n).fill(NaN);
    this.maxMove = new Float32Array(n);
    this.roundPulses = new Uint16Array(n);
    this.accept = Float32Array.from(targets, (t) => acceptWindow(settings, t));
    const w = settings.windowMicroS;
    this.satHi = w.max + SATURATION_HEADROOM * (w.max - w.min);
    this.satLo = w.min * SATURATION_HEADROOM;
  }

  /** True while cell k still needs verify reads. */
  isPending(k: number): boolean {
    return this.status[k] === CellStatus.Pending;
  }

  /** The population's slope estimate for polarity index p (geometric mean of observed slopes). */
  private populationSlope(p: number): number {
    const c = this.slopeCount[p]!;
    return c > 0 ? Math.exp(this.logSlopeSum[p]! / c) : INITIAL_SLOPE;
  }

  private onset(r: IsppRamp): number {
    // The ramp's start is taken as two steps above the switching onset (NeuRRAM starts 1.2 V
    // for a ~1.0 V onset); per-cell slope learning absorbs an error in that guess.
    return r.startV - 2 * r.stepV;
  }

  /** Feed a verify read of pending cell k taken at chip time `timeS`; settles its status. */
  verify(k: number, gMicroS: number, timeS: number): void {
    if (this.status[k] !== CellStatus.Pending) return;
    const s = this.settings;
    if (Number.isNaN(this.firstG[k]!)) this.firstG[k] = gMicroS;
    const v = this.lastV[k]!;
    if (v > 0) {
      const pol = this.lastPolarity[k]! - 1;
      const dist = this.lastDistance[k]!;
      const moved = pol === 0 ? gMicroS - this.lastG[k]! : this.lastG[k]! - gMicroS;
      const r = pol === 0 ? s.set : s.reset;
      const over = Math.max(v - this.onset(r), 1e-3);
      const j = 2 * k + pol;
      const k0 = this.slope[j]! > 0 ? this.slope[j]! : this.populationSlope(pol);
      const predicted = Math.min(1, k0 * over) * dist;
      if (moved > 0 && dist > 0) {
        const observed = Math.min(1, moved / dist) / over;
        this.slope[j] = Math.sqrt(k0 * observed);
        this.logSlopeSum[pol]! += Math.log(observed);
        this.slopeCount[pol]!++;
      }
      if (moved < NO_PROGRESS * predicted) this.boost[j]! += r.stepV;
      this.lastV[k] = 0;
      this.programmedAtS[k] = timeS;
    } else if (Number.isNaN(this.programmedAtS[k]!)) {
      this.programmedAtS[k] = timeS;
    }
    this.g[k] = gMicroS;
    this.maxMove[k] = Math.max(this.maxMove[k]!, Math.abs(gMicroS - this.firstG[k]!));
    const err = this.targets[k]! - gMicroS;
    if (Math.abs(err) <= this.accept[k]!) {
      this.status[k] = CellStatus.Converged;
      return;
    }
    // Stuck: still where it started after stuckPulses pulses. The threshold covers the read
    // noise of two averaged verifies (4σ), so a noisy still cell is not mistaken for a mover.
    const still = Math.max(s.stuckMicroS, 4 * Math.SQRT2 * verifySigma(s, gMicroS));
    if (
      this.roundPulses[k]! >= s.stuckPulses &&
      Math.abs(gMicroS - this.firstG[k]!) < still &&
      this.maxMove[k] < 2 * still
    ) {
      this.status[k] = CellStatus.Stuck;
      return;
    }
    const p = err > 0 ? 0 : 1;
    if (
      this.iterations[k]! >= s.maxIterations ||
      this.perPolarity[2 * k + p]! >= s.maxPulsesPerPolarity
    )
      this.status[k] = CellStatus.Failed;
  }

  /** The next pulse of pending cell k after its verify, or undefined when it needs none. */
  nextPulse(k: number): IsppPulse | undefined {
    if (this.status[k] !== CellStatus.Pending) return undefined;
    const s = this.settings;
    const g = this.g[k]!;
    const err = this.targets[k]! - g;
    const p = err > 0 ? 0 : 1;
    const r = p === 0 ? s.set : s.reset;
    const j = 2 * k + p;
    if (this.lastPolarity[k] !== p + 1) this.boost[j] = 0; // overshoot or first pulse: restart the ramp
    const dist = Math.max(p === 0 ? this.satHi - g : g - this.satLo, Math.abs(err));
    const slope = this.slope[j]! > 0 ? this.slope[j]! : this.populationSlope(p);
    const wanted = (s.aim * Math.abs(err)) / dist;
    const v = this.onset(r) + wanted / slope + this.boost[j]!;
    const amplitudeV = Math.min(r.stopV, Math.max(r.startV, Math.round(v * 1000) / 1000));
    this.lastPolarity[k] = p + 1;
    this.lastV[k] = amplitudeV;
    this.lastDistance[k] = dist;
    this.lastG[k] = g;
    this.iterations[k]!++;
    this.perPolarity[j]!++;
    return { polarity: p === 0 ? 'SET' : 'RESET', amplitudeV, gateV: r.gateV, widthS: s.widthS };
  }

  /**
   * Acknowledge the pulse of cell k: `applied` pulses really applied. 0 means the board could
   * not switch the cell (unformed or stuck): it is reported stuck rather than retried.
   */
  applied(k: number, applied: number): void {
    if (applied <= 0) {
      this.status[k] = CellStatus.Stuck;
      this.lastV[k] = 0;
      return;
    }
    this.pulses[k] = Math.min(0xffff, this.pulses[k]! + applied);
    this.roundPulses[k] = Math.min(0xffff, this.roundPulses[k]! + applied);
  }

  /** Re-open a converged or failed cell for another programming round (fresh caps). Stuck stays stuck. */
  reopen(k: number): void {
    if (this.status[k] === CellStatus.Stuck) return;
    this.status[k] = CellStatus.Pending;
    this.iterations[k] = 0;
    this.perPolarity[2 * k] = 0;
    this.perPolarity[2 * k + 1] = 0;
    this.roundPulses[k] = 0;
    this.lastPolarity[k] = 0;
    this.lastV[k] = 0;
    this.firstG[k] = NaN;
    this.maxMove[k] = 0;
  }
}
