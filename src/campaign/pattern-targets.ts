/**
 * Write-verify targets (µS, row-major over the region) for a `program` step: from a pattern, or
 * from signed weights mapped as W ∝ G+ − G− (twin columns, or adjacent rows), scaled so the 95th
 * percentile of |W| reaches the window's top (NeuRRAM's rule), clipped.
 * TODO(issue 4): use src/programming/mapping.ts when it lands.
 */
import type { Range, Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { StepOf } from './campaign-schema.ts';
import type { Weights } from './load-weights.ts';
import { prototypes, uniform } from './synthetic-dataset.ts';

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
      const rand = uniform(pattern.seed ?? seed);
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

/** The region shape weights need under a mapping. */
export function mappedShape(
  w: Weights,
  mapping: 'twin-columns' | 'adjacent-rows',
): { rows: number; cols: number } {
  return mapping === 'twin-columns'
    ? { rows: w.rows, cols: 2 * w.cols }
    : { rows: 2 * w.rows, cols: w.cols };
}

/** Targets for signed weights under `mapping`; the region must have the mapped shape. */
export function weightTargets(
  w: Weights,
  mapping: 'twin-columns' | 'adjacent-rows',
  region: Region,
  window: Range,
): Float32Array {
  const shape = mappedShape(w, mapping);
  if (shape.rows !== region.rows || shape.cols !== region.cols)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${w.source}: a ${w.rows}×${w.cols} matrix mapped as ${mapping} needs a ${shape.rows}×${shape.cols} region, not ${region.rows}×${region.cols}`,
      { file: w.source },
    );
  const abs = Array.from(w.values, Math.abs).sort((a, b) => a - b);
  const p95 = abs[Math.min(abs.length - 1, Math.floor(0.95 * abs.length))]! || 1;
  const g = (x: number) =>
    window.min + (window.max - window.min) * Math.min(1, Math.max(0, x) / p95);
  const out = new Float32Array(region.rows * region.cols);
  for (let i = 0; i < w.rows; i++)
    for (let j = 0; j < w.cols; j++) {
      const v = w.values[i * w.cols + j]!;
      if (mapping === 'twin-columns') {
        out[i * region.cols + 2 * j] = g(v);
        out[i * region.cols + 2 * j + 1] = g(-v);
      } else {
        out[2 * i * region.cols + j] = g(v);
        out[(2 * i + 1) * region.cols + j] = g(-v);
      }
    }
  return out;
}
