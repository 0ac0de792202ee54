/**
 * Write-verify targets of a `program` step's weights (`weights:` or `model:`): the pipeline's
 * mapping (src/programming/mapping.ts, W ∝ G+ − G−, the percentile of |W| at the full window,
 * clipped, optionally quantised) over the step's region, which must have the mapped block's shape.
 */
import type { Range, Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { mapWeights, type MappedWeights, type PairScheme } from '../programming/mapping.ts';
import { blockShape } from '../programming/placement.ts';
import type { StepOf } from './campaign-schema.ts';
import type { Weights } from './load-weights.ts';

/** The campaign's spelling of a pair scheme → the mapping's. */
export function pairScheme(mapping: StepOf<'program'>['mapping']): PairScheme {
  return mapping === 'twin-columns' ? 'twin-column' : 'adjacent-row';
}

/** Map `w` for step `s` into `region` within `window`; refuses a region of the wrong shape. */
export function weightTargets(
  w: Weights,
  s: Pick<StepOf<'program'>, 'mapping' | 'percentile' | 'levels'>,
  region: Region,
  window: Range,
): MappedWeights {
  const scheme = pairScheme(s.mapping);
  const shape = blockShape({ inputs: w.rows, outputs: w.cols, scheme });
  if (shape.rows !== region.rows || shape.cols !== region.cols)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${w.source}: a ${w.rows}×${w.cols} matrix mapped as ${s.mapping} needs a ${shape.rows}×${shape.cols} region, not ${region.rows}×${region.cols}`,
      { file: w.source },
    );
  return mapWeights(w.values, w.rows, w.cols, {
    scheme,
    gMinMicroS: window.min,
    gMaxMicroS: window.max,
    percentile: s.percentile,
    ...(s.levels !== undefined && { levels: s.levels }),
  });
}
