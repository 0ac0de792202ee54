/**
 * A matrix too large for the array, run tile by tile (tiling.ts) in one macro: each tile is
 * mapped with the whole matrix's scale, programmed at the array origin, driven with its slice
 * of the inputs and decoded; row-split partial sums are accumulated digitally in linear counts
 * (same k, weight scale and input scale for every tile, so they add directly).
 */
import { concat, defer, type Observable } from 'rxjs';
import { endWith, ignoreElements, last, map } from 'rxjs/operators';
import type { ChipDriver } from '../../drivers/driver.ts';
import { mapWeights, scaleFor, type MappingOptions } from '../programming/mapping.ts';
import { placeLayers } from '../programming/placement.ts';
import { tileMatrix, tileWeights, type Tile } from '../programming/tiling.ts';
import { deployLayer, type DeployOptions } from './deploy-layer.ts';
import type { IfcModel } from './ifc-model.ts';
import { decodeDifferential, layerRequest } from './layer-io.ts';

/** Options of `tiledMatmul`. */
export interface TiledOptions extends MappingOptions, DeployOptions {
  model: IfcModel;
  /** Array size. Default 256 × 256. */
  array?: { rows: number; cols: number };
}

/** The summed result: differential linear counts (`batch × outputs`) and the weight scale used. */
export interface TiledResult {
  differential: Float32Array;
  scaleMicroSPerUnit: number;
  tiles: Tile[];
}

/** W·x for `weights` (`inputs × outputs`) and pulses `x` (`batch × inputs`), on chip. */
export function tiledMatmul(
  driver: ChipDriver,
  weights: ArrayLike<number>,
  inputs: number,
  outputs: number,
  x: Uint8Array,
  options: TiledOptions,
): Observable<TiledResult> {
  return defer(() => {
    const { array = { rows: 256, cols: 256 }, model } = options;
    const gMin = options.gMinMicroS ?? 1;
    const gMax = options.gMaxMicroS ?? 40;
    const scale = options.scaleMicroSPerUnit ?? scaleFor(weights, gMax - gMin, options.percentile);
    const tiles = tileMatrix(inputs, outputs, { scheme: options.scheme, ...array });
    const batch = x.length / inputs;
    const sum = new Float32Array(batch * outputs);
    const runTile = (t: Tile) => {
      const mapped = mapWeights(tileWeights(weights, outputs, t), t.inputs, t.outputs, {
        ...options,
        scaleMicroSPerUnit: scale,
      });
      const layer = placeLayers(
        [
          {
            name: 'tile',
            inputs: t.inputs,
            outputs: t.outputs,
            scheme: options.scheme,
            row: 0,
            col: 0,
          },
        ],
        array,
      ).layers[0]!;
      const xs = new Uint8Array(batch * t.inputs);
      for (let b = 0; b < batch; b++)
        xs.set(
          x.subarray(b * inputs + t.inputStart, b * inputs + t.inputStart + t.inputs),
          b * t.inputs,
        );
      return concat(
        deployLayer(driver, layer, mapped, options).pipe(ignoreElements()),
        defer(() => driver.mvm(layerRequest(layer, xs))),
      ).pipe(
        last(),
        map((r) => {
          const d = decodeDifferential(layer, r.values, { model });
          for (let b = 0; b < batch; b++)
            for (let k = 0; k < t.outputs; k++)
              sum[b * outputs + t.outputStart + k]! += d[b * t.outputs + k]!;
        }),
      );
    };
    return concat(...tiles.map((t) => defer(() => runTile(t)))).pipe(
      ignoreElements(),
      // `sum` is filled in place by the tiles; it is complete when they all are.
      endWith<TiledResult>({ differential: sum, scaleMicroSPerUnit: scale, tiles }),
    );
  });
}
