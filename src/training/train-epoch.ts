/**
 * One training epoch of the chip-modelled network with tfjs autograd and Adam. An epoch is a
 * pure function of (state, data, config, epoch): the shuffle and every noise draw come from the
 * pipeline's seeded generator keyed by (seed, epoch), and the optimiser is rebuilt from the
 * state at every epoch start — in an uninterrupted run exactly as after a resume — so a run
 * killed between epochs resumes to the same final weights, bit for bit.
 */
import type * as Tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../pipeline/seeded-random.ts';
import { shuffleInPlace } from '../dataset/split.ts';
import { layerScale, type ChipModel } from './chip-model.ts';
import { networkScores } from './chip-forward.ts';
import { samplePerturbation, type NoiseInjection, type StuckCells } from './cell-noise.ts';
import { seededNormal } from './mlp.ts';
import { groupShrink, hoyerSquare, pruneLines } from './regularizers.ts';
import { loadTf } from './tf-backend.ts';

/** Training inputs: pulses of layer `from`'s inputs (`n × sizes[from]`) and labels. */
export interface TrainData {
  pulses: Uint8Array;
  labels: Int32Array;
}

/** How to train. */
export interface TrainConfig {
  chip: ChipModel;
  /** Units per layer, inputs first. */
  sizes: number[];
  /** Layers trained (others fixed). Default all. */
  trainable?: boolean[];
  /** First layer computed: the data are its input pulses (fine-tuning on measured activations). Default 0. */
  from?: number;
  /** Samples per step. Default 128. */
  batch?: number;
  /** Adam learning rate. Default 0.002. */
  learningRate?: number;
  /** The learning rate halves every this many epochs. Default: constant. */
  halfLifeEpochs?: number;
  /** Logits per count of the last layer's differential output. Default 0.1. */
  temperature?: number;
  /** Noise drawn from a measured model each step. Default none (plain training). */
  noise?: NoiseInjection;
  /** Cells held at stuck values, per layer. Default none. */
  stuck?: (StuckCells | undefined)[];
  /**
   * Group-lasso strength (rows and columns of every layer but the output columns), applied as a
   * proximal shrink of learningRate·groupLasso·√(line length) per step. Default 0.
   */
  groupLasso?: number;
  /** Hoyer-square weight. Default 0. */
  hoyer?: number;
  /** With group lasso: lines whose |ΔG| all stay below this are zeroed (µS). Default 1. */
  pruneMicroS?: number;
  /**
   * Augment square-image inputs (layer 0 only) by shifting each sample up to this many pixels
   * in x and y, drawn per sample. Default 0 (none).
   */
  shift?: number;
  /** Seed of shuffles and noise draws. */
  seed: number;
}

/** Weights plus Adam's moments: everything an epoch starts from. */
export interface TrainState {
  weights: Float32Array[];
  /** Adam's step count and moments of the trained layers (absent before the first epoch). */
  adam?: { iterations: number; m: Float32Array[]; v: Float32Array[] };
}

let uid = 0;

/** Run epoch `epoch` from `state`; resolves to the next state and the epoch's mean loss. */
export async function trainEpoch(
  config: TrainConfig,
  data: TrainData,
  state: TrainState,
  epoch: number,
): Promise<{ state: TrainState; loss: number }> {
  const tf = await loadTf();
  const { chip, sizes, seed, batch = 128, learningRate = 0.002, temperature = 0.1 } = config;
  const from = config.from ?? 0;
  const layers = sizes.length - 1;
  const trainable = config.trainable ?? sizes.slice(1).map(() => true);
  const shape = (l: number): [number, number] => [sizes[l]!, sizes[l + 1]!];
  const tag = `closed-loop-${uid++}`;
  const vars = state.weights.map((w, l) =>
    tf.variable(tf.tensor2d(w, shape(l)), trainable[l], `${tag}-w${l}`),
  );
  const trained = vars.filter((_, l) => trainable[l]);
  const decay = config.halfLifeEpochs ? 0.5 ** (epoch / config.halfLifeEpochs) : 1;
  const optimizer = tf.train.adam(learningRate * decay);
  try {
    if (state.adam) {
      const a = state.adam;
      const named = (arrays: Float32Array[], suffix: string) =>
        arrays.map((x, i) => ({
          name: `${trained[i]!.name}/${suffix}`,
          tensor: tf.tensor(x, trained[i]!.shape),
        }));
      await optimizer.setWeights([
        { name: 'iter', tensor: tf.scalar(a.iterations, 'int32') },
        ...named(a.m, 'm'),
        ...named(a.v, 'v'),
      ]);
    }
    const k0 = sizes[from]!;
    const n = data.labels.length;
    const classes = sizes[layers]!;
    const order = shuffleInPlace(
      Int32Array.from({ length: n }, (_, i) => i),
      seededRandom(mix(seed, epoch, 0)),
    );
    const normal = seededNormal(mix(seed, epoch, 1));
    const shifts = seededRandom(mix(seed, epoch, 2));
    let lossSum = 0;
    let steps = 0;
    const range = chip.gMaxMicroS - chip.gMinMicroS;
    for (let at = 0; at < n; at += batch) {
      const idx = order.subarray(at, Math.min(n, at + batch));
      const b = idx.length;
      const xb = new Float32Array(b * k0);
      idx.forEach((s, i) => xb.set(data.pulses.subarray(s * k0, (s + 1) * k0), i * k0));
      if (config.shift && from === 0)
        shiftImages(xb, b, Math.round(Math.sqrt(k0)), config.shift, shifts);
      const yb = Int32Array.from(idx, (s) => data.labels[s]!);
      const host = vars.map((v) => v.dataSync() as Float32Array);
      const scales = host.map((w) => layerScale(chip, w));
      const cost: Tf.Scalar | null = tf.tidy(() => {
        const perturb = vars.map((_, l) =>
          l < from
            ? undefined
            : samplePerturbation(
                tf,
                chip,
                config.noise,
                config.stuck?.[l],
                host[l]!,
                shape(l),
                scales[l]!,
                normal,
              ),
        );
        const x = tf.tensor2d(xb, [b, k0]);
        const y = tf.oneHot(tf.tensor1d(yb, 'int32'), classes);
        const c = optimizer.minimize(
          () => {
            const scores = networkScores(tf, chip, x, vars, scales, { from, perturb });
            let loss: Tf.Scalar = tf.losses.softmaxCrossEntropy(y, tf.mul(scores, temperature));
            for (let l = from; l < layers; l++) {
              if (!trainable[l]) continue;
              const u = tf.mul<Tf.Tensor2D>(vars[l]!, scales[l]! / range);
              if (config.hoyer)
                loss = tf.add<Tf.Scalar>(loss, tf.mul(hoyerSquare(tf, u), config.hoyer));
            }
            return loss;
          },
          true,
          trained,
        );
        return c ?? tf.scalar(0);
      });
      lossSum += cost ? (cost.dataSync()[0] ?? 0) : 0;
      cost?.dispose();
      steps++;
      if (config.groupLasso)
        vars.forEach((v, l) => {
          if (!trainable[l]) return;
          const w = v.dataSync().slice() as Float32Array;
          const scale = layerScale(chip, w);
          groupShrink(
            w,
            sizes[l]!,
            sizes[l + 1]!,
            learningRate * decay * config.groupLasso!,
            scale / range,
            l < layers - 1,
          );
          pruneLines(
            w,
            sizes[l]!,
            sizes[l + 1]!,
            layerScale(chip, w),
            config.pruneMicroS ?? 1,
            l < layers - 1,
          );
          v.assign(tf.tensor2d(w, shape(l)));
        });
    }
    const weights = vars.map((v) => (v.dataSync() as Float32Array).slice());
    const saved = await optimizer.getWeights();
    const arrays = saved.slice(1).map((t) => (t.tensor.dataSync() as Float32Array).slice());
    const iterations = saved[0]!.tensor.dataSync()[0] ?? 0;
    const half = arrays.length / 2;
    return {
      state: {
        weights,
        adam: { iterations, m: arrays.slice(0, half), v: arrays.slice(half) },
      },
      loss: lossSum / Math.max(1, steps),
    };
  } finally {
    optimizer.dispose();
    vars.forEach((v) => v.dispose());
  }
}

/** Shift each of `b` square images (`w × w`, row-major, in place) by up to ±`max` pixels. */
function shiftImages(
  x: Float32Array,
  b: number,
  w: number,
  max: number,
  random: () => number,
): void {
  const tmp = new Float32Array(w * w);
  for (let s = 0; s < b; s++) {
    const dx = Math.floor(random() * (2 * max + 1)) - max;
    const dy = Math.floor(random() * (2 * max + 1)) - max;
    if (dx === 0 && dy === 0) continue;
    const img = x.subarray(s * w * w, (s + 1) * w * w);
    tmp.fill(0);
    for (let r = 0; r < w; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= w) continue;
      for (let c = 0; c < w; c++) {
        const sc = c - dx;
        if (sc >= 0 && sc < w) tmp[r * w + c] = img[sr * w + sc]!;
      }
    }
    img.set(tmp);
  }
}

/** A 32-bit seed from a seed and two counters. */
export function mix(seed: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
