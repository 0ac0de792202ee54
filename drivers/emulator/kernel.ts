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
