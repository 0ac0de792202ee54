/**
 * What the closed-loop steps (train, deploy, calibrate, evaluate) find in the steps before them
 * (`StepContext.earlier`, also after a resume): the last noise model and the readout it fitted,
 * model versions by stage, the current deployment, the last column calibration, activations
 * measured on chip, and the cells the deploy found stuck.
 */
import { BenchError } from '../../../drivers/driver.ts';
import type { ChipInfo } from '../../../drivers/driver.ts';
import type { IfcModel } from '../../inference/ifc-model.ts';
import type { ColumnCalibration } from '../../pipeline/calibrate.ts';
import { NoiseModel } from '../../pipeline/noise-model.ts';
import type { Region } from '../../../drivers/driver.ts';
import type { ChipModel } from '../../training/chip-model.ts';
import type { StuckCells } from '../../training/cell-noise.ts';
import { loadDataset, type Dataset, type DatasetSpec } from '../../dataset/dataset.ts';
import type {
  ArtifactMeasurement,
  Measurement,
  ModelVersionMeasurement,
} from '../../store/measurement.ts';
import type { EarlierStep } from '../step-runner.ts';

/** Every measurement of the earlier steps, newest step first. */
function newestFirst(earlier: readonly EarlierStep[]): Measurement[] {
  return [...earlier].reverse().flatMap((s) => [...s.measurements].reverse());
}

/** The newest noise model, or undefined. */
export function lastNoiseModel(earlier: readonly EarlierStep[]): NoiseModel | undefined {
  const m = newestFirst(earlier).find((x) => x.kind === 'noise-model');
  return m?.kind === 'noise-model' ? NoiseModel.fromJSON(m.model) : undefined;
}

/** The readout the newest noise model fitted (k, nSat) at `precisionBits`. */
export function measuredIfc(noise: NoiseModel | undefined, precisionBits: number): IfcModel {
  const c = noise?.data.columns;
  if (!c || c.countsPerMicroSPulse === undefined)
    throw new BenchError(
      'INVALID_ARGUMENT',
      'the closed loop needs the readout transfer a characterize step measures (with columns: true) before it',
      { field: 'steps' },
    );
  if (c.precisionBits !== precisionBits)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `the readout was characterised at ${c.precisionBits} bits but ${precisionBits} are in force: characterise at the precision the network runs at`,
      { field: 'precisionBits' },
    );
  return {
    countsPerMicroSPulse: c.countsPerMicroSPulse,
    saturationCount: c.saturationCount ?? Infinity,
    precisionBits,
  };
}

/** The training view of the chip. */
export function chipModel(chip: ChipInfo, ifc: IfcModel, percentile = 95): ChipModel {
  return {
    ifc,
    gMinMicroS: chip.conductanceWindowMicroS.min,
    gMaxMicroS: chip.conductanceWindowMicroS.max,
    percentile,
  };
}

/** The newest model version of `stage`. */
export function modelOfStage(
  earlier: readonly EarlierStep[],
  stage: string,
): ModelVersionMeasurement {
  const m = newestFirst(earlier).find((x) => x.kind === 'model-version' && x.stage === stage);
  if (m?.kind !== 'model-version')
    throw new BenchError(
      'INVALID_ARGUMENT',
      `no model version of stage '${stage}' before this step (train or deploy one first)`,
      { field: 'stage', stage },
    );
  return m;
}

/** A newest artifact by name (and its step), or undefined. */
export function lastArtifact(
  earlier: readonly EarlierStep[],
  name: string,
  where: (s: EarlierStep) => boolean = () => true,
): { step: EarlierStep; artifacts: ArtifactMeasurement[] } | undefined {
  for (const s of [...earlier].reverse()) {
    if (!where(s)) continue;
    const found = s.measurements.filter(
      (m): m is ArtifactMeasurement => m.kind === 'artifact' && m.name === name,
    );
    if (found.length > 0) return { step: s, artifacts: found };
  }
  return undefined;
}

/** One deployed layer. */
export interface DeployedLayer {
  name: string;
  stage: string;
  inputs: number;
  outputs: number;
  region: Region;
  /** µS of G+ − G− per weight unit. */
  scaleMicroSPerUnit: number;
  /** Plan index of the deploy step that programmed it. */
  step: number;
}

/** What is on the chip. */
export interface Deployment {
  sizes: number[];
  layers: DeployedLayer[];
}

/** The current deployment (the newest deploy step's view). */
export function lastDeployment(earlier: readonly EarlierStep[]): Deployment {
  const a = lastArtifact(earlier, 'deployment');
  if (!a)
    throw new BenchError('INVALID_ARGUMENT', 'no deploy step before this one', { field: 'steps' });
  return a.artifacts[0]!.meta as Deployment;
}

/** The newest column calibration, or undefined. */
export function lastCalibration(earlier: readonly EarlierStep[]): ColumnCalibration | undefined {
  const a = lastArtifact(earlier, 'calibration');
  if (!a) return undefined;
  const d = a.artifacts[0]!.data as Float32Array;
  const n = d.length / 2;
  return {
    gain: d.slice(0, n),
    offset: d.slice(n),
    residualRms: (a.artifacts[0]!.meta as { residualRms: number }).residualRms,
    samples: new Uint32Array(n),
  };
}

/**
 * Cells of `layer` the deploy that programmed it found stuck: not converged and further than
 * `factor`× the tolerance from target — held at the conductance they ended at. NaN elsewhere.
 */
export function stuckCellsOf(
  earlier: readonly EarlierStep[],
  layer: DeployedLayer,
  toleranceMicroS: number,
  factor = 2,
): StuckCells {
  const plus = new Float32Array(layer.inputs * layer.outputs).fill(NaN);
  const minus = new Float32Array(layer.inputs * layer.outputs).fill(NaN);
  const step = earlier.find((s) => s.idx === layer.step);
  const r = layer.region;
  for (const m of step?.measurements ?? []) {
    if (m.kind !== 'program') continue;
    const b = m.result.region;
    for (let i = 0; i < b.rows; i++)
      for (let j = 0; j < b.cols; j++) {
        const row = b.row + i - r.row;
        const col = b.col + j - r.col;
        if (row < 0 || row >= r.rows || col < 0 || col >= r.cols) continue;
        const k = i * b.cols + j;
        const final = m.result.finalMicroS[k]!;
        if (
          m.result.converged[k] ||
          Math.abs(final - m.targetsMicroS[k]!) <= factor * toleranceMicroS
        )
          continue;
        // Twin columns: column 2o is G+ of output o, 2o + 1 its G−.
        (col % 2 === 0 ? plus : minus)[row * layer.outputs + (col >> 1)] = final;
      }
  }
  return { plus, minus };
}

const datasets = new Map<string, Dataset>();

/** `spec` loaded and split (cached per process: MNIST takes a second to parse). */
export function datasetFor(spec: DatasetSpec): Dataset {
  const key = JSON.stringify(spec);
  let d = datasets.get(key);
  if (!d) {
    d = loadDataset(spec);
    datasets.set(key, d);
  }
  return d;
}

/** Samples of a split without loading MNIST (it has 10,000). */
export function splitSize(spec: DatasetSpec, split: 'train' | 'test'): number {
  if (spec.kind === 'mnist') {
    const test = spec.test ?? 2000;
    return split === 'test' ? test : Math.min(spec.train ?? Infinity, 10_000 - test);
  }
  return datasetFor(spec)[split].labels.length;
}
