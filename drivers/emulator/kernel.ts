/**
 * Dense matrix products for the emulator's MVMs. The fast path is TensorFlow.js's WebAssembly
 * backend (XNNPACK with SIMD, shipped inside the npm package, one thread); the reference path is
 * a plain TypeScript loop, kept for comparison and as the fallback when WebAssembly is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** A weight matrix resident in the kernel (k × n, row-major). */
export interface Weights {
  readonly k: number;
  readonly n: number;
  dispose(): void;
}

/** out (batch × n) = a (batch × k) · w (k × n). */
export interface MatmulKernel {
  readonly name: string;
  upload(w: Float32Array, k: number, n: number): Weights;
  matmul(a: Float32Array, batch: number, w: Weights): Float32Array;
}

class PlainWeights implements Weights {
  constructor(
    readonly data: Float32Array,
    readonly k: number,
    readonly n: number,
  ) {}
  dispose(): void {}
}

/** The reference kernel: i-k-j loops over typed arrays. */
export const referenceKernel: MatmulKernel = {
  name: 'reference',
  upload: (w, k, n) => new PlainWeights(w.slice(), k, n),
  matmul(a, batch, weights) {
    const { data: w, k, n } = weights as PlainWeights;
    const out = new Float32Array(batch * n);
    for (let b = 0; b < batch; b++) {
      const ob = b * n;
      for (let i = 0; i < k; i++) {
        const v = a[b * k + i]!;
        if (v === 0) continue;
        const wi = i * n;
        for (let j = 0; j < n; j++) out[ob + j]! += v * w[wi + j]!;
      }
    }
    return out;
  },
};

class TfWeights implements Weights {
  constructor(
    readonly tensor: tf.Tensor2D,
    readonly k: number,
    readonly n: number,
  ) {}
  dispose(): void {
    this.tensor.dispose();
  }
}

const tfKernel: MatmulKernel = {
  name: 'tfjs-wasm',
  upload: (w, k, n) => new TfWeights(tf.tensor2d(w, [k, n], 'float32'), k, n),
  matmul(a, batch, weights) {
    const { tensor, k } = weights as TfWeights;
    const x = tf.tensor2d(a, [batch, k], 'float32');
    const y = tf.matMul(x, tensor);
    const out = y.dataSync() as Float32Array;
    x.dispose();
    y.dispose();
    return out;
  },
};

let ready: Promise<MatmulKernel> | undefined;

/**
 * The fastest kernel available, initialised once per process. Falls back to the reference
 * kernel (with a warning on stderr) if the WebAssembly backend cannot start; set
 * `RRAM_BENCH_KERNEL=reference` to force the reference kernel.
 */
export function fastKernel(): Promise<MatmulKernel> {
  ready ??= (async () => {
    if (process.env.RRAM_BENCH_KERNEL === 'reference') return referenceKernel;
    try {
      setThreadsCount(1);
      if (!(await tf.setBackend('wasm'))) throw new Error('backend did not register');
      await tf.ready();
      return tfKernel;
    } catch (e) {
      process.stderr.write(
        `rram-bench: WebAssembly kernel unavailable (${(e as Error).message}); using the reference kernel\n`,
      );
      return referenceKernel;
    }
  })();
  return ready;
}

/**
 * The small-batch product of the MVM hot path, in plain TypeScript: for each vector b,
 * mean_b = x_b·G and (when `gVar` is given) var_b = x_b²·gVar, in one pass over the weights.
 * Zero inputs are skipped (network activations are mostly zero) and the remaining rows are taken
 * four at a time, so each output accumulator is loaded and stored once per four rows; the
 * accumulators are float64. Returns Σ_i x_bi² per vector in `sumSq` (for additive read noise).
 * No call overhead: for a batch of a few vectors this beats any kernel that must copy its inputs.
 */
export function fusedMatVec(
  inputs: Uint8Array,
  batch: number,
  k: number,
  n: number,
  g: Float32Array,
  gVar: Float32Array | undefined,
  mean: Float32Array,
  variance: Float32Array | undefined,
  sumSq: Float64Array,
): void {
  const accM = new Float64Array(n);
  const accV = new Float64Array(n);
  const idx = new Int32Array(k + 3);
  const val = new Float64Array(k + 3);
  for (let b = 0; b < batch; b++) {
    let m = 0;
    let sq = 0;
    for (let i = 0; i < k; i++) {
      const v = inputs[b * k + i]!;
      if (v === 0) continue;
      idx[m] = i * n;
      val[m] = v;
      sq += v * v;
      m++;
    }
    sumSq[b] = sq;
    // Pad to a multiple of four with zero weights on row 0 (they add nothing).
    while (m % 4 !== 0) {
      idx[m] = 0;
      val[m] = 0;
      m++;
    }
    accM.fill(0);
    accV.fill(0);
    for (let r = 0; r < m; r += 4) {
      const a0 = val[r]!;
      const a1 = val[r + 1]!;
      const a2 = val[r + 2]!;
      const a3 = val[r + 3]!;
      const w0 = idx[r]!;
      const w1 = idx[r + 1]!;
      const w2 = idx[r + 2]!;
      const w3 = idx[r + 3]!;
      for (let j = 0; j < n; j++)
        accM[j]! += a0 * g[w0 + j]! + a1 * g[w1 + j]! + a2 * g[w2 + j]! + a3 * g[w3 + j]!;
      if (gVar) {
        const s0 = a0 * a0;
        const s1 = a1 * a1;
        const s2 = a2 * a2;
        const s3 = a3 * a3;
        for (let j = 0; j < n; j++)
          accV[j]! +=
            s0 * gVar[w0 + j]! + s1 * gVar[w1 + j]! + s2 * gVar[w2 + j]! + s3 * gVar[w3 + j]!;
      }
    }
    const o = b * n;
    for (let j = 0; j < n; j++) mean[o + j] = accM[j]!;
    if (variance && gVar) for (let j = 0; j < n; j++) variance[o + j] = accV[j]!;
  }
}
