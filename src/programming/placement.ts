/**
 * Placement of layers in one macro: each layer's pair block becomes a region (row/column
 * offsets), given explicitly or found by first fit. Overlapping and out-of-array placements are
 * refused naming the layers. Layers larger than the array are tiled first (tiling.ts).
 *
 * The two-layer MNIST layout of design.md §8 (256 → 64 → 10, twin columns):
 *   fc1: rows 0–255 × cols 0–127 (64 pairs), fc2: rows 0–63 × cols 128–147 (10 pairs).
 */
import type { Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { PairScheme } from './mapping.ts';

/** A layer to place. */
export interface LayerSpec {
  /** Unique name, e.g. `fc1`. */
  name: string;
  /** Weight shape: inputs × outputs. */
  inputs: number;
  outputs: number;
  /** Pair layout. Default `twin-column`. */
  scheme?: PairScheme;
  /** First word line of the block. Default: first fit. */
  row?: number;
  /** First bit line of the block. Default: first fit. */
  col?: number;
}

/** A placed layer: its block's region and the physical lines it drives and reads. */
export interface PlacedLayer {
  name: string;
  inputs: number;
  outputs: number;
  scheme: PairScheme;
  region: Region;
  /** Word lines of the block, in block-row order. */
  rows: number[];
  /** Bit lines of the block, in block-column order. */
  cols: number[];
}

/** Where every layer sits, and how much of the array it takes. */
export interface Placement {
  arrayRows: number;
  arrayCols: number;
  layers: PlacedLayer[];
  /** Cells inside some layer's region. */
  cellsUsed: number;
  /** cellsUsed / (arrayRows·arrayCols). */
  utilisation: number;
  /** One line per layer: name, rows, columns, scheme, shape. */
  regionMap: string[];
}

/** Physical block shape of a layer. */
export function blockShape(spec: Pick<LayerSpec, 'inputs' | 'outputs' | 'scheme'>): {
  rows: number;
  cols: number;
} {
  return (spec.scheme ?? 'twin-column') === 'twin-column'
    ? { rows: spec.inputs, cols: 2 * spec.outputs }
    : { rows: 2 * spec.inputs, cols: spec.outputs };
}

const overlaps = (a: Region, b: Region) =>
  a.row < b.row + b.rows &&
  b.row < a.row + a.rows &&
  a.col < b.col + b.cols &&
  b.col < a.col + a.cols;

const inside = (r: Region, rows: number, cols: number) =>
  r.row >= 0 && r.col >= 0 && r.row + r.rows <= rows && r.col + r.cols <= cols;

const span = (r: Region) =>
  `rows ${r.row}–${r.row + r.rows - 1} × cols ${r.col}–${r.col + r.cols - 1}`;

/** Place `specs` (in order) in a `rows × cols` macro. */
export function placeLayers(
  specs: readonly LayerSpec[],
  array = { rows: 256, cols: 256 },
): Placement {
  const placed: PlacedLayer[] = [];
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name))
      throw new BenchError('INVALID_ARGUMENT', `layer ${spec.name} is placed twice`, {
        field: 'name',
        layer: spec.name,
      });
    names.add(spec.name);
    for (const f of ['inputs', 'outputs'] as const)
      if (!Number.isInteger(spec[f]) || spec[f] < 1)
        throw new BenchError(
          'INVALID_ARGUMENT',
          `layer ${spec.name}: ${f} must be a positive integer, got ${spec[f]}`,
          {
            field: f,
            layer: spec.name,
          },
        );
    const scheme = spec.scheme ?? 'twin-column';
    const shape = blockShape(spec);
    if (shape.rows > array.rows || shape.cols > array.cols)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `layer ${spec.name} needs ${shape.rows}×${shape.cols} cells, more than the ${array.rows}×${array.cols} array: tile it (tileMatrix)`,
        { field: 'shape', layer: spec.name, ...shape },
      );
    const region =
      spec.row !== undefined || spec.col !== undefined
        ? { row: spec.row ?? 0, col: spec.col ?? 0, ...shape }
        : firstFit(shape, placed, array);
    if (!region || !inside(region, array.rows, array.cols))
      throw new BenchError(
        'INVALID_ARGUMENT',
        region
          ? `layer ${spec.name} at ${span(region)} lies outside the ${array.rows}×${array.cols} array`
          : `layer ${spec.name} (${shape.rows}×${shape.cols} cells) does not fit beside the layers already placed`,
        { field: 'region', layer: spec.name, region },
      );
    const other = placed.find((p) => overlaps(p.region, region));
    if (other)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `layer ${spec.name} at ${span(region)} overlaps layer ${other.name} at ${span(other.region)}`,
        { field: 'region', layer: spec.name, overlaps: other.name },
      );
    placed.push({
      name: spec.name,
      inputs: spec.inputs,
      outputs: spec.outputs,
      scheme,
      region,
      rows: Array.from({ length: region.rows }, (_, i) => region.row + i),
      cols: Array.from({ length: region.cols }, (_, j) => region.col + j),
    });
  }
  const cellsUsed = placed.reduce((s, p) => s + p.region.rows * p.region.cols, 0);
  return {
    arrayRows: array.rows,
    arrayCols: array.cols,
    layers: placed,
    cellsUsed,
    utilisation: cellsUsed / (array.rows * array.cols),
    regionMap: placed.map(
      (p) => `${p.name}: ${span(p.region)} (${p.scheme}, ${p.inputs}×${p.outputs} weights)`,
    ),
  };
}

/** First free position, scanning columns then rows at the edges of placed regions. */
function firstFit(
  shape: { rows: number; cols: number },
  placed: readonly PlacedLayer[],
  array: { rows: number; cols: number },
) {
  const cols = [0, ...placed.map((p) => p.region.col + p.region.cols)].sort((a, b) => a - b);
  const rows = [0, ...placed.map((p) => p.region.row + p.region.rows)].sort((a, b) => a - b);
  for (const col of cols)
    for (const row of rows) {
      const r = { row, col, ...shape };
      if (inside(r, array.rows, array.cols) && !placed.some((p) => overlaps(p.region, r))) return r;
    }
  return undefined;
}
