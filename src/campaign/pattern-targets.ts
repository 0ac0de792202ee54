/**
 * Write-verify targets (µS, row-major over the region) of a `program` step's `pattern`: test
 * patterns and the synthetic dataset's class prototypes. Weights are mapped by
 * src/programming/mapping.ts instead (weight-targets.ts).
 */
import type { Range, Region } from '../../drivers/driver.ts';
import type { StepOf } from './campaign-schema.ts';
import { seededRandom } from '../pipeline/seeded-random.ts';
import { prototypes } from './synthetic-dataset.ts';

type Pattern = NonNullable<StepOf<'program'>['pattern']>;

/** Targets for `pattern` over `region`, inside `window`. */
export function patternTargets(
  pattern: Pattern,
  region: Region,
  window: Range,
  seed: number,
): Float32Array {
  const { rows, cols } = region;
  const out = new Float32Array(rows * cols);
  switch (pattern.kind) {
    case 'uniform':
      out.fill(pattern.microS);
      break;
    case 'gradient': {
      const span = Math.max(1, rows + cols - 2);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++)
          out[i * cols + j] = pattern.min + ((pattern.max - pattern.min) * (i + j)) / span;
      break;
    }
    case 'checkerboard':
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++)
          out[i * cols + j] = (i + j) % 2 === 0 ? pattern.high : pattern.low;
      break;
    case 'random': {
      const rand = seededRandom(pattern.seed ?? seed);
      for (let k = 0; k < out.length; k++)
        out[k] = pattern.min + (pattern.max - pattern.min) * rand();
      break;
    }
    case 'prototypes': {
      const low = pattern.low ?? Math.max(window.min, 2);
      const high = pattern.high ?? Math.min(window.max, 30);
      const proto = prototypes(pattern.classes, rows, pattern.seed ?? seed);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++)
          out[i * cols + j] = proto[(j % pattern.classes) * rows + i] ? high : low;
      break;
    }
  }
  return out;
}
