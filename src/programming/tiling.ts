/**
 * Tiling of a weight matrix too large for one array: row splits (input chunks whose partial
 * sums are accumulated digitally after decode) and column splits (output chunks). Every tile's
 * block fits the array; tiles are programmed and run one after another, or on several macros.
 * Tiles share the whole matrix's mapping scale, so their decoded partial sums add directly.
 */
import { BenchError } from '../../drivers/driver.ts';
import type { PairScheme } from './mapping.ts';

/** One tile: a sub-matrix of the weights. */
export interface Tile {
  /** First input (weight row) of the tile. */
  inputStart: number;
  inputs: number;
  /** First output (weight column) of the tile. */
  outputStart: number;
  outputs: number;
}

/** Split `inputs × outputs` into tiles whose pair blocks fit a `rows × cols` array. */
export function tileMatrix(
  inputs: number,
  outputs: number,
  options: { scheme?: PairScheme; rows?: number; cols?: number } = {},
): Tile[] {
  const { scheme = 'twin-column', rows = 256, cols = 256 } = options;
  if (!(Number.isInteger(inputs) && inputs > 0 && Number.isInteger(outputs) && outputs > 0))
    throw new BenchError('INVALID_ARGUMENT', `cannot tile a ${inputs}×${outputs} matrix`, {
      field: 'shape',
    });
  const maxIn = scheme === 'twin-column' ? rows : Math.floor(rows / 2);
  const maxOut = scheme === 'twin-column' ? Math.floor(cols / 2) : cols;
  if (maxIn < 1 || maxOut < 1)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `a ${rows}×${cols} array cannot hold a ${scheme} pair`,
      { field: 'array' },
    );
  const tiles: Tile[] = [];
  for (let o = 0; o < outputs; o += maxOut)
    for (let i = 0; i < inputs; i += maxIn)
      tiles.push({
        inputStart: i,
        inputs: Math.min(maxIn, inputs - i),
        outputStart: o,
        outputs: Math.min(maxOut, outputs - o),
      });
  return tiles;
}

/** The tile's weights, row-major `tile.inputs × tile.outputs`, cut from the whole matrix. */
export function tileWeights(weights: ArrayLike<number>, outputs: number, tile: Tile): Float32Array {
  const w = new Float32Array(tile.inputs * tile.outputs);
  for (let i = 0; i < tile.inputs; i++)
    for (let k = 0; k < tile.outputs; k++)
      w[i * tile.outputs + k] = weights[(tile.inputStart + i) * outputs + tile.outputStart + k]!;
  return w;
}
