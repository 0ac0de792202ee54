/**
 * Weights for a `program` step from a `.npy` file: a 2-D float32 or float64 matrix
 * (inputs × outputs), every value finite. Any other file is refused with INVALID_ARGUMENT
 * naming it and the problem.
 */
import { createHash } from 'node:crypto';
import { BenchError } from '../../drivers/driver.ts';
import { readNpyFile } from './npy.ts';

/** A weight matrix, row-major `rows × cols`, with the hash that identifies its version. */
export interface Weights {
  /** The file it came from. */
  source: string;
  rows: number;
  cols: number;
  values: Float32Array;
  /** sha256 of the file's bytes. */
  sha256: string;
}

/** Read and check the weights in `file`. */
export function loadWeights(file: string): Weights {
  const { array: npy, bytes } = readNpyFile(file, 'weights');
  if (npy.dtype !== '<f4' && npy.dtype !== '<f8')
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${file}: weights must be float32 or float64, not ${npy.dtype}`,
      { file, dtype: npy.dtype },
    );
  if (npy.shape.length !== 2 || npy.shape[0] === 0 || npy.shape[1] === 0)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${file}: weights must be a non-empty 2-D matrix (inputs × outputs), got shape (${npy.shape.join(', ')})`,
      { file, shape: npy.shape },
    );
  const values = Float32Array.from(npy.data);
  for (let i = 0; i < npy.data.length; i++) {
    if (!Number.isFinite(npy.data[i]!)) {
      const [r, c] = [Math.floor(i / npy.shape[1]!), i % npy.shape[1]!];
      throw new BenchError(
        'INVALID_ARGUMENT',
        `${file}: weight [${r}, ${c}] is ${npy.data[i]} (NaN or infinite)`,
        { file, row: r, col: c },
      );
    }
  }
  return {
    source: file,
    rows: npy.shape[0]!,
    cols: npy.shape[1]!,
    values,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}
