/**
 * The forward pass of a network as the chip runs it, in TensorFlow.js, differentiable for
 * training. Per layer, with input pulses P (`batch × K`, integers 0…2^b − 1):
 *   ΔG  = clip(s·W, ±(g_max − g_min))                  (mapping.ts: s from the percentile)
 *   G±  = g_min + max(±ΔG, 0)  [stuck cells held at their value] [+ per-cell noise]
 *   q±  = k·P·G±  [· column gain + column offset]      (linear charge, counts)
 *   n±  = min(floor(T(q±)), 2^b − 1),  T(q) = nSat·q/(nSat + q)   (IFC; floor straight-through)
 *   d   = n+ − n−
 * Hidden layers: h = clamp(d, 0, 2^b − 1), the next layer's pulses (in-situ activation).
 * The last layer's d are the class scores (logits = d·temperature for the loss).
 */
import type * as Tf from '@tensorflow/tfjs-core';
import type { ChipModel } from './chip-model.ts';

/** Per-step perturbations of one layer (all optional). */
export interface LayerPerturbation {
  /** Additive conductance noise (µS) of the G+ and G− cells, `K × M` each. */
  noiseP?: Tf.Tensor2D;
  noiseN?: Tf.Tensor2D;
  /** Stuck cells: 0 where stuck (1 elsewhere), and the stuck value (µS, 0 elsewhere), `K × M`. */
  freeP?: Tf.Tensor2D;
  freeN?: Tf.Tensor2D;
  stuckP?: Tf.Tensor2D;
  stuckN?: Tf.Tensor2D;
  /** Column gain (`M`, around 1) and offset (counts) of the G+ and G− columns. */
  gainP?: Tf.Tensor1D;
  gainN?: Tf.Tensor1D;
  offsetP?: Tf.Tensor1D;
  offsetN?: Tf.Tensor1D;
}

/** One layer's differential counts d (`batch × M`). `scale` is s (µS per weight unit). */
export function layerCounts(
  tf: typeof Tf,
  chip: ChipModel,
  pulses: Tf.Tensor2D,
  w: Tf.Tensor2D,
  scale: number,
  p: LayerPerturbation = {},
): Tf.Tensor2D {
  const range = chip.gMaxMicroS - chip.gMinMicroS;
  const top = 2 ** chip.ifc.precisionBits - 1;
  const nSat = chip.ifc.saturationCount;
  const dG = tf.clipByValue<Tf.Tensor2D>(tf.mul(w, scale), -range, range);
  const side = (
    g: Tf.Tensor,
    noise?: Tf.Tensor2D,
    free?: Tf.Tensor2D,
    stuck?: Tf.Tensor2D,
    gain?: Tf.Tensor1D,
    offset?: Tf.Tensor1D,
  ): Tf.Tensor2D => {
    let cell: Tf.Tensor = tf.add(tf.relu(g), chip.gMinMicroS);
    if (free && stuck) cell = tf.add(tf.mul(cell, free), stuck);
    if (noise) cell = tf.add(cell, noise);
    let q: Tf.Tensor = tf.mul(
      tf.matMul(pulses, cell as Tf.Tensor2D),
      chip.ifc.countsPerMicroSPulse,
    );
    if (gain) q = tf.mul(q, gain);
    if (offset) q = tf.add(q, offset);
    q = tf.relu(q);
    const t = Number.isFinite(nSat) ? tf.div(tf.mul(q, nSat), tf.add(q, nSat)) : q;
    return tf.minimum<Tf.Tensor2D>(floorSte(tf)(t), top);
  };
  const nP = side(dG, p.noiseP, p.freeP, p.stuckP, p.gainP, p.offsetP);
  const nN = side(tf.neg(dG), p.noiseN, p.freeN, p.stuckN, p.gainN, p.offsetN);
  return tf.sub(nP, nN);
}

/** Next layer's pulses from hidden differential counts: clamp(d, 0, 2^b − 1). */
export function hiddenFromCounts(tf: typeof Tf, chip: ChipModel, d: Tf.Tensor2D): Tf.Tensor2D {
  return tf.clipByValue(d, 0, 2 ** chip.ifc.precisionBits - 1);
}

const steCache = new WeakMap<object, (x: Tf.Tensor) => Tf.Tensor>();

/** floor(x) forward, identity backward (straight-through estimator). */
function floorSte(tf: typeof Tf): (x: Tf.Tensor) => Tf.Tensor {
  let f = steCache.get(tf);
  if (!f) {
    const ste: (x: Tf.Tensor) => Tf.Tensor = tf.customGrad<Tf.Tensor>(
      (...args: (Tf.Tensor | Tf.GradSaveFunc)[]) => ({
        value: tf.floor(args[0] as Tf.Tensor),
        gradFunc: (dy: Tf.Tensor) => dy,
      }),
    );
    f = ste;
    steCache.set(tf, f);
  }
  return f;
}

/**
 * The network's class scores (`batch × classes`) for input pulses, layers `from`…end;
 * `scales[l]` per layer, `perturb[l]` optional per layer.
 */
export function networkScores(
  tf: typeof Tf,
  chip: ChipModel,
  pulses: Tf.Tensor2D,
  weights: readonly Tf.Tensor2D[],
  scales: readonly number[],
  options: { from?: number; perturb?: readonly (LayerPerturbation | undefined)[] } = {},
): Tf.Tensor2D {
  let x = pulses;
  for (let l = options.from ?? 0; l < weights.length; l++) {
    const d = layerCounts(tf, chip, x, weights[l]!, scales[l]!, options.perturb?.[l]);
    x = l === weights.length - 1 ? d : hiddenFromCounts(tf, chip, d);
  }
  return x;
}
