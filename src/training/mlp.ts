/**
 * The closed loop's network: a bias-free MLP (crossbar layers have no bias row to spare: the
 * 256 MNIST inputs take every row), weights row-major `inputs × outputs` per layer.
 */
import { BenchError } from '../../drivers/driver.ts';
import { seededRandom } from '../pipeline/seeded-random.ts';

/** Layer sizes and weights. */
export interface Mlp {
  /** Units per layer, inputs first: e.g. [256, 64, 10]. */
  sizes: number[];
  /** One `sizes[l] × sizes[l+1]` matrix per layer. */
  weights: Float32Array[];
}

/** Standard normal draws from the pipeline's seeded generator (Box–Muller). */
export function seededNormal(seed: number): () => number {
  const u = seededRandom(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

/** He-initialised weights for `sizes`, from `seed`. */
export function initMlp(sizes: readonly number[], seed: number): Mlp {
  if (sizes.length < 2 || sizes.some((n) => !(Number.isInteger(n) && n >= 1)))
    throw new BenchError('INVALID_ARGUMENT', `layer sizes must be ≥ 2 positive integers`, {
      field: 'layers',
    });
  const normal = seededNormal(seed);
  const weights = sizes.slice(1).map((out, l) => {
    const k = sizes[l]!;
    const sd = Math.sqrt(2 / k);
    return Float32Array.from({ length: k * out }, () => normal() * sd);
  });
  return { sizes: [...sizes], weights };
}

/** All weights in one array, layer after layer. */
export function packMlp(m: Mlp): Float32Array {
  const out = new Float32Array(m.weights.reduce((a, w) => a + w.length, 0));
  let at = 0;
  for (const w of m.weights) {
    out.set(w, at);
    at += w.length;
  }
  return out;
}

/** The inverse of `packMlp`. */
export function unpackMlp(sizes: readonly number[], data: Float32Array): Mlp {
  const weights: Float32Array[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const n = sizes[l]! * sizes[l + 1]!;
    weights.push(data.slice(at, at + n));
    at += n;
  }
  if (at !== data.length)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `model of sizes ${sizes.join('→')} needs ${at} weights, got ${data.length}`,
      { field: 'weights' },
    );
  return { sizes: [...sizes], weights };
}
