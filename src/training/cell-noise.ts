/**
 * Noise-aware training's perturbations, drawn from a chip's measured NoiseModel: every step,
 * each cell of each differential pair gets Gaussian noise with the σ the model gives at the
 * cell's target conductance — relaxation σ(G, t) at the deploy-to-measure delay, read noise
 * σ/G, and the write-verify residual (tolerance/√3) — through the same mapping the deploy uses;
 * cells known stuck are held at their stuck value; each column gets a gain and offset drawn
 * from the measured spreads. Not a constant σ.
 */
import type * as Tf from '@tensorflow/tfjs-core';
import type { NoiseModel } from '../pipeline/noise-model.ts';
import type { ChipModel } from './chip-model.ts';
import type { LayerPerturbation } from './chip-forward.ts';

/** Cells of one layer held at fixed conductances: NaN where the cell is free. */
export interface StuckCells {
  /** G+ side (µS), `inputs × outputs`. */
  plus: Float32Array;
  /** G− side (µS), `inputs × outputs`. */
  minus: Float32Array;
}

/** Options of `noiseInjection`. */
export interface NoiseOptions {
  /** Time from programming to measurement (s) the relaxation σ is taken at. Default 1. */
  delayS?: number;
  /** Write-verify tolerance (µS): adds tolerance/√3 of residual. Default 1. */
  toleranceMicroS?: number;
  /** Multiplies every σ and spread (1: as measured). Default 1. */
  scale?: number;
  /** Column gain/offset spreads applied (0 after calibration corrects them). Default 1. */
  columnScale?: number;
}

/** A sampler of per-step layer perturbations. */
export interface NoiseInjection {
  /** Total σ (µS) of a cell programmed to `g`. */
  sigma(gMicroS: number): number;
  /** Relative column gain σ and column offset σ (counts). */
  gainSpread: number;
  offsetCounts: number;
}

/** Build the sampler from a measured noise model. */
export function noiseInjection(
  model: NoiseModel,
  chip: ChipModel,
  options: NoiseOptions = {},
): NoiseInjection {
  const { delayS = 1, toleranceMicroS = 1, scale = 1, columnScale = 1 } = options;
  const prog = toleranceMicroS / Math.sqrt(3);
  const step = 0.05;
  const n = Math.ceil(chip.gMaxMicroS / step) + 2;
  const table = Float32Array.from({ length: n }, (_, i) => {
    const g = i * step;
    const r = model.relaxationSigma(g, delayS);
    const read = model.readSigma(g);
    return scale * Math.sqrt(r * r + read * read + prog * prog);
  });
  const cols = model.data.columns;
  const top = 2 ** chip.ifc.precisionBits - 1;
  return {
    sigma: (g) => table[Math.min(n - 1, Math.max(0, Math.round(g / step)))]!,
    gainSpread: scale * columnScale * (cols?.gainSpread ?? 0),
    offsetCounts: scale * columnScale * (cols?.offsetSpread ?? 0) * top,
  };
}

/**
 * One step's perturbation of a layer: `w` its current weights (host copy), `scale` its µS per
 * weight unit, `normal` the seeded draw. Tensors are created in the caller's tidy scope.
 */
export function samplePerturbation(
  tf: typeof Tf,
  chip: ChipModel,
  noise: NoiseInjection | undefined,
  stuck: StuckCells | undefined,
  w: Float32Array,
  shape: [number, number],
  scale: number,
  normal: () => number,
): LayerPerturbation {
  const p: LayerPerturbation = {};
  const [k, m] = shape;
  if (stuck) {
    const mask = (s: Float32Array) => Float32Array.from(s, (v) => (Number.isNaN(v) ? 1 : 0));
    const value = (s: Float32Array) => Float32Array.from(s, (v) => (Number.isNaN(v) ? 0 : v));
    p.freeP = tf.tensor2d(mask(stuck.plus), shape);
    p.freeN = tf.tensor2d(mask(stuck.minus), shape);
    p.stuckP = tf.tensor2d(value(stuck.plus), shape);
    p.stuckN = tf.tensor2d(value(stuck.minus), shape);
  }
  if (!noise) return p;
  const range = chip.gMaxMicroS - chip.gMinMicroS;
  const eP = new Float32Array(k * m);
  const eN = new Float32Array(k * m);
  for (let i = 0; i < k * m; i++) {
    const d = Math.max(-range, Math.min(range, scale * w[i]!));
    const gp = Number.isNaN(stuck?.plus[i] ?? NaN)
      ? chip.gMinMicroS + Math.max(d, 0)
      : stuck!.plus[i]!;
    const gn = Number.isNaN(stuck?.minus[i] ?? NaN)
      ? chip.gMinMicroS + Math.max(-d, 0)
      : stuck!.minus[i]!;
    eP[i] = noise.sigma(gp) * normal();
    eN[i] = noise.sigma(gn) * normal();
  }
  p.noiseP = tf.tensor2d(eP, shape);
  p.noiseN = tf.tensor2d(eN, shape);
  if (noise.gainSpread > 0 || noise.offsetCounts > 0) {
    const gain = () => Float32Array.from({ length: m }, () => 1 + noise.gainSpread * normal());
    const off = () => Float32Array.from({ length: m }, () => noise.offsetCounts * normal());
    p.gainP = tf.tensor1d(gain());
    p.gainN = tf.tensor1d(gain());
    p.offsetP = tf.tensor1d(off());
    p.offsetN = tf.tensor1d(off());
  }
  return p;
}
