/** Per-cell programming outcome shared by the host and board paths (row-major over a region). */
export interface CellRecord {
  /** Last verify read (µS). */
  g: Float32Array;
  /** CellStatus per cell. */
  status: Uint8Array;
  /** Pulses applied per cell so far. */
  pulses: Uint16Array;
  /** Chip time of each cell's last programming verify (s). */
  programmedAtS: Float64Array;
}

/** An empty record of `n` cells. */
export function cellRecord(n: number): CellRecord {
  return {
    g: new Float32Array(n).fill(NaN),
    status: new Uint8Array(n),
    pulses: new Uint16Array(n),
    programmedAtS: new Float64Array(n).fill(NaN),
  };
}
