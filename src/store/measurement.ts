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
  /** Closed loop: the stage that made it (`software`, `noiseAware`, `finetune.1`…). Default none. */
  stage?: string;
  /** Closed loop: the stage it was trained from. Default none. */
  parent?: string;
  /** Free-form JSON (layer sizes and offsets in `weights`, mapping scales…). Default none. */
  meta?: unknown;
}

/** Element types of an artifact. */
export type ArtifactData = Float32Array | Uint8Array | Int32Array;

/**
 * A typed array a step needs back on resume and no other table models: a training checkpoint,
 * a column calibration, predictions. `unit` −1 (written at the step's end) or the unit's index.
 */
export interface ArtifactMeasurement {
  kind: 'artifact';
  name: string;
  data: ArtifactData;
  /** Array shape (row-major); default `[data.length]`. */
  shape?: readonly number[];
  /** Free-form JSON stored beside it. Default none. */
  meta?: unknown;
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
  | ArtifactMeasurement
  | MetricMeasurement;
