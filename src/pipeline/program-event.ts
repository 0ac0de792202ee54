/** What `programRegion` emits: progress per batch of rows, a summary per re-check round, then the report. */
import type { Region } from '../../drivers/driver.ts';

/** Progress after each batch of rows of a programming pass. */
export interface ProgramProgress {
  kind: 'progress';
  /** `program` for the first pass, `recheck` for re-programming drifted cells. */
  phase: 'program' | 'recheck';
  /** Re-check round (0 during the first pass). */
  round: number;
  /** The rows just finished (chip coordinates). */
  rows: { row: number; rows: number };
  /** Cells of the pass finished so far, and in the pass. */
  cellsDone: number;
  cellsTotal: number;
  /** Cells of the whole region converged / failed / stuck so far. */
  converged: number;
  failed: number;
  stuck: number;
  /** Pulses applied so far over the whole region. */
  pulses: number;
}

/** One relaxation re-check round: settle, read, re-program drifted cells. */
export interface RecheckRound {
  kind: 'recheck';
  /** 1-based round. */
  round: number;
  /** Settle time waited before the read (s). */
  settleS: number;
  /** Chip time of the read (s). */
  timeS: number;
  /** Non-stuck cells read. */
  checked: number;
  /** Of those, cells outside the re-check tolerance: re-programmed. */
  drifted: number;
  /** Fraction of checked cells within the re-check tolerance at the read. */
  inToleranceBefore: number;
  /** Pulses the re-programming took. */
  pulses: number;
}

/** A cell named in a report. */
export interface CellRef {
  row: number;
  col: number;
  targetMicroS: number;
  /** Last verify read (µS). */
  finalMicroS: number;
}

/** The outcome of `programRegion`. Per-cell arrays are row-major over the region. */
export interface ProgramReport {
  region: Region;
  mode: 'host' | 'board';
  toleranceMicroS: number;
  targetsMicroS: Float32Array;
  /** Last verify read of each cell (µS). */
  finalMicroS: Float32Array;
  /** Pulses applied per cell, all passes and re-check rounds. */
  pulses: Uint16Array;
  /** CellStatus per cell (src/programming/cell-status.ts). */
  status: Uint8Array;
  /** Chip time of each cell's last programming verify (s): its relaxation starts there. */
  programmedAtS: Float64Array;
  cells: number;
  converged: number;
  failed: number;
  stuck: number;
  /** Fraction of all cells whose last verify lies within tolerance. */
  inTolerance: number;
  /** Same, over the cells not found stuck. */
  inToleranceNonStuck: number;
  /** Mean pulses per cell of the first pass (before any re-check). */
  meanPulses: number;
  /** Mean pulses per cell including re-check rounds. */
  meanPulsesTotal: number;
  /** Cells by pulses in the first pass: entry i counts cells with i pulses; the last entry counts that many or more. */
  pulseHistogram: number[];
  /** Cells out of tolerance at a cap (not stuck). */
  failedCells: CellRef[];
  /** Cells that do not switch: reported, never retried. */
  stuckCells: CellRef[];
  /** Re-check rounds run. */
  recheck: RecheckRound[];
}

/** Events of `programRegion`. */
export type ProgramRegionEvent =
  ProgramProgress | RecheckRound | { kind: 'report'; report: ProgramReport };
