/**
 * The closed loop's datasets: MNIST (downsampled to 16×16, seeded stratified split) or a user's
 * `.npy` pair (inputs `samples × features` in [0, 1], integer labels). Inputs stay in [0, 1];
 * `toPulses` quantises them to the chip's input precision (one activation unit = full scale).
 */
import { BenchError } from '../../drivers/driver.ts';
import { readNpyFile } from '../campaign/npy.ts';
import { encodeInputs } from '../inference/encode.ts';
import { topCount } from '../inference/ifc-model.ts';
import { downsample2x2 } from './downsample.ts';
import { loadMnist } from './mnist.ts';
import { shuffleInPlace, stratifiedSplit } from './split.ts';
import { seededRandom } from '../pipeline/seeded-random.ts';

/** Which data, and how it is split. */
export type DatasetSpec =
  | {
      kind: 'mnist';
      /** Test-split size (samples). Default 2000. */
      test?: number;
      /** Use only this many training samples (a seeded subset; fast tests). Default all. */
      train?: number;
      /** Seed of the split. Default 1. */
      seed?: number;
    }
  | {
      kind: 'npy';
      /** `samples × features` float32/float64 in [0, 1] (path). */
      inputs: string;
      /** `samples` integer labels 0…classes−1 (path). */
      labels: string;
      /** Test-split size (samples). Default 20% of the samples. */
      test?: number;
      /** Use only this many training samples. Default all. */
      train?: number;
      /** Seed of the split. Default 1. */
      seed?: number;
    };

/** One part of a dataset. */
export interface Part {
  /** Inputs in [0, 1], `samples × features`. */
  x: Float32Array;
  labels: Int32Array;
  /** Indices into the source dataset. */
  index: Int32Array;
}

/** A split dataset. */
export interface Dataset {
  features: number;
  classes: number;
  train: Part;
  test: Part;
}

function take(x: Float32Array, labels: Int32Array, features: number, index: Int32Array): Part {
  const out = new Float32Array(index.length * features);
  index.forEach((s, i) => out.set(x.subarray(s * features, (s + 1) * features), i * features));
  return { x: out, labels: Int32Array.from(index, (s) => labels[s]!), index };
}

function readNpy(file: string) {
  return readNpyFile(file).array;
}

function loadNpyPair(inputs: string, labels: string) {
  const x = readNpy(inputs);
  const y = readNpy(labels);
  if (x.shape.length !== 2)
    throw new BenchError('INVALID_ARGUMENT', `${inputs}: inputs must be 2-D (samples × features)`, {
      file: inputs,
    });
  const n = x.shape[0]!;
  if (y.data.length !== n)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${labels}: ${y.data.length} labels for ${n} input samples`,
      { file: labels },
    );
  const xs = Float32Array.from(x.data);
  xs.forEach((v, i) => {
    if (!(v >= 0 && v <= 1))
      throw new BenchError(
        'INVALID_ARGUMENT',
        `${inputs}: input [${Math.floor(i / x.shape[1]!)}, ${i % x.shape[1]!}] is ${v}, outside [0, 1]`,
        { file: inputs },
      );
  });
  const ls = Int32Array.from(y.data);
  ls.forEach((v, i) => {
    if (!(Number.isInteger(y.data[i]) && v >= 0))
      throw new BenchError('INVALID_ARGUMENT', `${labels}: label ${i} is ${y.data[i]}`, {
        file: labels,
      });
  });
  return { x: xs, labels: ls, features: x.shape[1]! };
}

/** Load and split `spec`. */
export function loadDataset(spec: DatasetSpec): Dataset {
  const seed = spec.seed ?? 1;
  let src: { x: Float32Array; labels: Int32Array; features: number };
  if (spec.kind === 'mnist') {
    const d = downsample2x2(loadMnist());
    src = { x: d.x, labels: d.labels, features: d.width * d.width };
  } else src = loadNpyPair(spec.inputs, spec.labels);
  const n = src.labels.length;
  const split = stratifiedSplit(
    src.labels,
    spec.test ?? (spec.kind === 'mnist' ? 2000 : Math.max(1, Math.round(n / 5))),
    seed,
  );
  let train = split.train;
  if (spec.train !== undefined && spec.train < train.length)
    train = shuffleInPlace(train.slice(), seededRandom(seed ^ 0x5bd1e995))
      .slice(0, spec.train)
      .sort();
  return {
    features: src.features,
    classes: Math.max(...src.labels) + 1,
    train: take(src.x, src.labels, src.features, train),
    test: take(src.x, src.labels, src.features, split.test),
  };
}

/** Inputs in [0, 1] as read pulses at `precisionBits` (full scale = 1). */
export function toPulses(x: Float32Array, precisionBits: number): Uint8Array {
  return encodeInputs(x, topCount(precisionBits), precisionBits);
}
