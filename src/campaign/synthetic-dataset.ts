/**
 * A synthetic classification dataset for `infer` until MNIST arrives (a later issue): each class
 * has a binary prototype over the inputs (half of them high); a sample is its class's prototype
 * with a fraction `flip` of the inputs flipped. The `prototypes` program pattern writes the same
 * prototypes into the columns, so a chip that multiplies well classifies well.
 */
import { seededRandom } from '../pipeline/seeded-random.ts';

/** `classes × inputs` prototypes, 0 or 1, half the inputs of each class high. */
export function prototypes(classes: number, inputs: number, seed: number): Uint8Array {
  const rand = seededRandom(seed ^ 0x9e3779b9);
  const out = new Uint8Array(classes * inputs);
  for (let c = 0; c < classes; c++) {
    const order = Array.from({ length: inputs }, (_, i) => i);
    for (let i = inputs - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let k = 0; k < inputs / 2; k++) out[c * inputs + order[k]!] = 1;
  }
  return out;
}

/** A dataset: input activations (`samples × inputs`, 0 or 1) and labels. */
export interface Dataset {
  x: Float32Array;
  labels: Int32Array;
}

/** `samples` noisy prototypes, labels cycling over the classes. */
export function syntheticDataset(
  spec: { samples: number; classes: number; seed?: number; flip: number },
  inputs: number,
  seed: number,
): Dataset {
  const protoSeed = spec.seed ?? seed;
  const proto = prototypes(spec.classes, inputs, protoSeed);
  const rand = seededRandom(protoSeed + 1);
  const x = new Float32Array(spec.samples * inputs);
  const labels = new Int32Array(spec.samples);
  for (let s = 0; s < spec.samples; s++) {
    const c = s % spec.classes;
    labels[s] = c;
    for (let i = 0; i < inputs; i++) {
      let bit = proto[c * inputs + i]!;
      if (rand() < spec.flip) bit ^= 1;
      x[s * inputs + i] = bit;
    }
  }
  return { x, labels };
}
