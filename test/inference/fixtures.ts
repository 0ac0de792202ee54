/** Seeded test data shared by the inference tests. */
import { Rng } from '../../drivers/emulator/rng.ts';

/** Standard-normal weights. */
export function gaussianWeights(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Activations uniform in [0, 1). */
export function uniformActivations(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform());
}
