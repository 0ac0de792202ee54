/**
 * Float weights → conductance targets for differential pairs, W ∝ G+ − G− (NeuRRAM nn_layers).
 * A weight w becomes ΔG = clip(s·w, ±(g_max − g_min)) on one side of its pair above g_min, the
 * other side left at g_min, with the scale s chosen so the `percentile` of |W| reaches
 * g_max − g_min. Larger weights clip (the percentile trades range for resolution).
 *
 * Pair layouts of the block (`rows × cols`, row-major):
 *  - `twin-column` (default): input i on row i; output k on columns 2k (G+) and 2k+1 (G−).
 *    One MVM gives both sides; decode subtracts n(2k) − n(2k+1).
 *  - `adjacent-row`: input i on rows 2i (G+) and 2i+1 (G−); output k on column k. NeuRRAM drives
 *    the G− row with the negated input, but our inputs are unsigned pulse counts and an IFC only
 *    counts positive charge, so the faithful scheme is two phases: x on the G+ rows, then x on the
 *    G− rows, read on the same columns, n = n(+) − n(−). Half the columns, twice the time; the
 *    column's offset cancels exactly (same IFC both phases).
 */
import { BenchError } from '../../drivers/driver.ts';

/** How a signed weight is split over two cells. */
export type PairScheme = 'twin-column' | 'adjacent-row';

/** Options of `mapWeights`. */
export interface MappingOptions {
  /** Pair layout. Default `twin-column`. */
  scheme?: PairScheme;
  /** Lower edge of the window (µS); the unused side of each pair. Default 1. */
  gMinMicroS?: number;
  /** Upper edge of the window (µS). Default 40. */
  gMaxMicroS?: number;
  /** Percentile of |W| (0–100] that maps to g_max − g_min; above it weights clip. Default 95. */
  percentile?: number;
  /** Quantise |ΔG| to this many levels from 0 to g_max − g_min (≥ 2). Default: none. */
  levels?: number;
  /** Use this scale (µS per weight unit) instead of the percentile's, e.g. the whole matrix's for a tile. */
  scaleMicroSPerUnit?: number;
}

/** Conductance targets of one weight matrix and how they were obtained. */
export interface MappedWeights {
  scheme: PairScheme;
  /** Weight matrix shape: inputs × outputs. */
  inputs: number;
  outputs: number;
  /** Physical block shape: twin-column inputs × 2·outputs; adjacent-row 2·inputs × outputs. */
  rows: number;
  cols: number;
  /** Targets (µS), `rows × cols` row-major, all within [g_min, g_max]. */
  targetsMicroS: Float32Array;
  /** Scale: µS of G+ − G− per weight unit. */
  scaleMicroSPerUnit: number;
  /** Weights whose |s·w| exceeded g_max − g_min and were clipped. */
  clipped: number;
  gMinMicroS: number;
  gMaxMicroS: number;
}

function invalid(message: string, field: string, context: Record<string, unknown> = {}): never {
  throw new BenchError('INVALID_ARGUMENT', message, { field, ...context });
}

/** Check shape and values of a row-major `inputs × outputs` weight matrix. */
export function checkWeights(weights: ArrayLike<number>, inputs: number, outputs: number): void {
  for (const [name, v] of [
    ['inputs', inputs],
    ['outputs', outputs],
  ] as const)
    if (!Number.isInteger(v) || v < 1)
      invalid(`weight ${name} must be a positive integer, got ${v}`, name);
  if (weights.length !== inputs * outputs)
    invalid(
      `weights hold ${weights.length} values, not ${inputs}×${outputs} = ${inputs * outputs}`,
      'weights',
      { expected: inputs * outputs, got: weights.length },
    );
  for (let i = 0; i < weights.length; i++)
    if (!Number.isFinite(weights[i]!))
      invalid(
        `weight [${Math.floor(i / outputs)}, ${i % outputs}] is ${weights[i]}: weights must be finite`,
        'weights',
        { row: Math.floor(i / outputs), col: i % outputs, value: weights[i] },
      );
}

/** The p-th percentile (nearest rank) of |W|. */
export function absPercentile(weights: ArrayLike<number>, percentile: number): number {
  const abs = Float64Array.from(weights, Math.abs).sort();
  return abs[Math.max(0, Math.ceil((percentile / 100) * abs.length) - 1)] ?? 0;
}

/** µS per weight unit that puts the `percentile` of |W| at `rangeMicroS` (g_max − g_min). */
export function scaleFor(weights: ArrayLike<number>, rangeMicroS: number, percentile = 95): number {
  const ref = absPercentile(weights, percentile) || absPercentile(weights, 100);
  // An all-zero matrix has no scale: any will do, every target sits at g_min.
  return ref > 0 ? rangeMicroS / ref : rangeMicroS;
}

/** Map a row-major `inputs × outputs` weight matrix to differential conductance targets. */
export function mapWeights(
  weights: ArrayLike<number>,
  inputs: number,
  outputs: number,
  options: MappingOptions = {},
): MappedWeights {
  const {
    scheme = 'twin-column',
    gMinMicroS: gMin = 1,
    gMaxMicroS: gMax = 40,
    percentile = 95,
  } = options;
  checkWeights(weights, inputs, outputs);
  if (scheme !== 'twin-column' && scheme !== 'adjacent-row')
    invalid(`pair scheme must be twin-column or adjacent-row, got ${String(scheme)}`, 'scheme');
  if (!(Number.isFinite(gMin) && Number.isFinite(gMax) && gMin >= 0 && gMax > gMin))
    invalid(`conductance window [${gMin}, ${gMax}] µS is not a valid interval`, 'window');
  if (!(percentile > 0 && percentile <= 100))
    invalid(`percentile must be in (0, 100], got ${percentile}`, 'percentile');
  const levels = options.levels;
  if (levels !== undefined && !(Number.isInteger(levels) && levels >= 2))
    invalid(`levels must be an integer ≥ 2, got ${levels}`, 'levels');
  const range = gMax - gMin;
  const scale = options.scaleMicroSPerUnit ?? scaleFor(weights, range, percentile);
  if (!(scale > 0 && Number.isFinite(scale)))
    invalid(
      `scale must be a positive number of µS per weight unit, got ${scale}`,
      'scaleMicroSPerUnit',
    );
  const step = levels === undefined ? 0 : range / (levels - 1);
  const twin = scheme === 'twin-column';
  const rows = twin ? inputs : 2 * inputs;
  const cols = twin ? 2 * outputs : outputs;
  const targets = new Float32Array(rows * cols).fill(gMin);
  let clipped = 0;
  for (let i = 0; i < inputs; i++)
    for (let k = 0; k < outputs; k++) {
      let d = scale * weights[i * outputs + k]!;
      if (Math.abs(d) > range) {
        clipped++;
        d = Math.sign(d) * range;
      }
      if (step > 0) d = Math.round(d / step) * step;
      const side = d < 0 ? 1 : 0;
      const at = twin ? i * cols + 2 * k + side : (2 * i + side) * cols + k;
      targets[at] = Math.min(gMax, gMin + Math.abs(d));
    }
  return {
    scheme,
    inputs,
    outputs,
    rows,
    cols,
    targetsMicroS: targets,
    scaleMicroSPerUnit: scale,
    clipped,
    gMinMicroS: gMin,
    gMaxMicroS: gMax,
  };
}

/** The weights the targets represent, (G+ − G−)/scale, row-major `inputs × outputs`. */
export function effectiveWeights(
  m: MappedWeights,
  conductanceMicroS = m.targetsMicroS,
): Float32Array {
  const w = new Float32Array(m.inputs * m.outputs);
  const twin = m.scheme === 'twin-column';
  for (let i = 0; i < m.inputs; i++)
    for (let k = 0; k < m.outputs; k++) {
      const p = twin ? i * m.cols + 2 * k : 2 * i * m.cols + k;
      const n = twin ? p + 1 : p + m.cols;
      w[i * m.outputs + k] = (conductanceMicroS[p]! - conductanceMicroS[n]!) / m.scaleMicroSPerUnit;
    }
  return w;
}
