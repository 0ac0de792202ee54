/**
 * The 256×256 population of 1T1R HfO2 cells: forming, stochastic state-dependent response to
 * SET/RESET pulses, device-to-device variation, stuck cells, relaxation after programming and
 * read noise. Pure physics: no limit checks (the driver does those) and no readout.
 *
 * STUB — interface agreed between modules; the implementation is being written.
 */
import type { Polarity } from '../driver.ts';
import type { Clock } from './clock.ts';
import type { Profile } from './profile.ts';
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

/** Everything needed to restore a CellArray exactly (plain arrays of numbers, JSON-friendly after encoding). */
export interface CellArrayState {
  [key: string]: unknown;
}

export class CellArray {
  readonly rows: number;
  readonly cols: number;
  /** Increments whenever any cell's programmed state changes (pulse, forming). */
  version = 0;

  constructor(
    readonly profile: Profile,
    private readonly rng: Rng,
    private readonly clock: Clock,
  ) {
    this.rows = profile.rows;
    this.cols = profile.cols;
  }

  /** True when cell `i` (row-major index) has been formed, or is stuck. */
  isFormed(_i: number): boolean {
    throw new Error('not implemented');
  }

  /** Stuck state of cell `i`. */
  stuck(_i: number): Stuck {
    throw new Error('not implemented');
  }

  /** One forming pulse on cell `i`; returns true when the cell is formed afterwards. */
  formPulse(_i: number, _amplitudeV: number, _gateV: number, _widthS: number): boolean {
    throw new Error('not implemented');
  }

  /** One SET or RESET pulse on cell `i`; returns false when it had no effect (virgin or stuck). */
  pulse(_i: number, _polarity: Polarity, _amplitudeV: number, _widthS: number, _gateV: number): boolean {
    throw new Error('not implemented');
  }

  /** True conductance of cell `i` at time `t` (s), with relaxation, without read noise (µS). */
  conductanceAt(_i: number, _t: number): number {
    throw new Error('not implemented');
  }

  /** All true conductances at time `t` into `out` (rows×cols, row-major, µS). */
  conductanceMap(_t: number, _out: Float32Array): void {
    throw new Error('not implemented');
  }

  /** One noisy read of cell `i` now (µS), averaged over `average` reads. */
  read(_i: number, _average = 1): number {
    throw new Error('not implemented');
  }

  /** Board-side write-verify of one cell to `targetMicroS`. */
  program(
    _i: number,
    _targetMicroS: number,
    _toleranceMicroS: number,
    _maxIterations: number,
    _maxPulsesPerPolarity: number,
    _verifyAverage: number,
  ): CellProgramOutcome {
    throw new Error('not implemented');
  }

  /** Snapshot for save/load. */
  toState(): CellArrayState {
    throw new Error('not implemented');
  }

  /** Restore from `toState()` output. */
  static fromState(_profile: Profile, _state: CellArrayState, _rng: Rng, _clock: Clock): CellArray {
    throw new Error('not implemented');
  }
}
