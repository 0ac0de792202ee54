/**
 * What a campaign step is to the engine: a number of units of work (a programmed row, an MVM
 * batch, a map read), each of which yields the typed measurements to commit with its
 * checkpoint; a final aggregation; and, for `--dry-run`, a check against the chip's limits and
 * a duration estimate that touch nothing.
 */
import type { ChipDriver, ChipInfo, ReadoutConfig } from '../../drivers/driver.ts';
import type { Measurement } from '../store/measurement.ts';

/** What a step runs with. */
export interface StepContext {
  driver: ChipDriver;
  chip: ChipInfo;
  signal: AbortSignal;
  /** This step's index in the plan. */
  idx: number;
  /** Seed of this step's random data (derived from the campaign seed and the step index). */
  seed: number;
  /** True while committed units are re-run only to re-derive the chip's state. */
  replaying: boolean;
  /** Progress within the current unit. */
  progress(done: number, total: number, detail?: string): void;
  /** Let `seconds` of chip time pass (`ChipDriver.wait`: real time on a board, instant in virtual time). */
  wait(seconds: number): Promise<void>;
  /**
   * The steps before this one in the plan, with everything they stored (units and end), in
   * plan order — how a closed-loop step finds the model, noise model or calibration it builds
   * on, also after a resume.
   */
  earlier(): readonly EarlierStep[];
  /** This step's measurements committed by an earlier attempt (units below the checkpoint). */
  resumed: readonly Measurement[];
  /** Export the run so far (the export step); resolves to the files written. */
  exportRun(format: 'npy' | 'csv' | 'json', out: string): Promise<string[]>;
}

/** A finished step as later steps see it. */
export interface EarlierStep {
  idx: number;
  kind: string;
  name: string;
  measurements: readonly Measurement[];
}

/** What a step's aggregation returns. */
export interface StepOutcome {
  summary: Record<string, unknown>;
  /** Stored with the step's end (metrics, noise model, model version). */
  measurements: Measurement[];
}

/** One step, ready to run. */
export interface StepRunner {
  /** Units of work; a checkpoint follows each. */
  readonly units: number;
  /** False for steps that never touch the chip (export): never replayed. */
  readonly touchesChip: boolean;
  /** Settings, not measurements (configure): re-applied on resume even when completed. */
  readonly reapply?: boolean;
  /** Run on every entry into the step, resumed or not (e.g. configure the readout). */
  enter?(ctx: StepContext): Promise<void>;
  /** Do unit `i`. */
  unit(i: number, ctx: StepContext): Promise<Measurement[]>;
  /** Aggregate over all units' measurements, in unit order. */
  finish(all: readonly Measurement[], ctx: StepContext): StepOutcome | Promise<StepOutcome>;
  /** Dry run: check every request against the chip; returns the readout in force afterwards. */
  check(chip: ChipInfo, readout: ReadoutConfig): ReadoutConfig;
  /** Dry run: expected chip time (s) including waits. */
  estimateS(chip: ChipInfo, readout: ReadoutConfig): number;
}
