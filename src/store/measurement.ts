/**
 * What a campaign step measures, in the form the store writes and reads back. One unit of work
 * (a programmed row, an MVM batch, a map read) yields a list of these; the store commits the
 * list and the step's checkpoint in one transaction.
 */
import type { ConductanceMap, MvmResult, ProgramResult } from '../../drivers/driver.ts';

/** A conductance map (`label` tells maps of one unit apart, e.g. `read`, `retention`). */
export interface MapMeasurement {
  kind: 'map';
  label: string;
  map: ConductanceMap;
}

/** Per-cell write-verify outcome of a region, with the targets asked for (µS). */
export interface ProgramMeasurement {
  kind: 'program';
  targetsMicroS: Float32Array;
  result: ProgramResult;
}

/** One MVM batch: the inputs sent, the counts read, and the true labels when known. */
export interface MvmMeasurement {
  kind: 'mvm';
  /** Index of the batch's first vector within the step. */
  firstSample: number;
  rows: readonly number[];
  cols: readonly number[];
  inputs: Uint8Array;
  /** Class label per vector (−1: none). */
  labels?: Int32Array;
  result: MvmResult;
}

/** A fitted noise model (JSON). */
export interface NoiseModelMeasurement {
  kind: 'noise-model';
  model: unknown;
}

/** A weight matrix that was programmed, identified by its content hash. */
export interface ModelVersionMeasurement {
  kind: 'model-version';
  name: string;
  /** Where it came from: a file path or a pattern description. */
  source: string;
  sha256: string;
  shape: readonly number[];
  weights: Float32Array;
}

/** One named figure. */
export interface MetricMeasurement {
  kind: 'metric';
  name: string;
  value: number;
  unit: string;
}

/** Anything a step stores. */
export type Measurement =
  | MapMeasurement
  | ProgramMeasurement
  | MvmMeasurement
  | NoiseModelMeasurement
  | ModelVersionMeasurement
  | MetricMeasurement;
