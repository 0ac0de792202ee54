/**
 * What training knows about the chip a network will run on: the weight→conductance mapping of
 * src/programming/mapping.ts (differential pairs above g_min, the `percentile` of |W| at
 * g_max − g_min, larger weights clipped) and the readout (counts per µS·pulse, saturation,
 * precision) measured by characterisation. The forward pass in chip-forward.ts uses exactly these.
 */
import type { IfcModel } from '../inference/ifc-model.ts';
import { absPercentile } from '../programming/mapping.ts';

/** Mapping and readout of the target chip. */
export interface ChipModel {
  /** The readout (k, nSat, precision b: inputs and counts are 0…2^b − 1). */
  ifc: IfcModel;
  /** Conductance window (µS). */
  gMinMicroS: number;
  gMaxMicroS: number;
  /** Percentile of |W| mapped to the full window. Default in mapping.ts: 95. */
  percentile: number;
}

/** µS per weight unit for a layer's weights, as mapWeights chooses it. */
export function layerScale(chip: ChipModel, weights: Float32Array): number {
  const range = chip.gMaxMicroS - chip.gMinMicroS;
  const ref = absPercentile(weights, chip.percentile) || absPercentile(weights, 100);
  return ref > 0 ? range / ref : range;
}
