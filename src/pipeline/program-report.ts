/** Assemble a ProgramReport from the per-cell record of a programming run. */
import type { Region } from '../../drivers/driver.ts';
import { CellStatus } from '../programming/cell-status.ts';
import { pulseHistogram } from '../programming/pulse-histogram.ts';
import type { CellRecord } from './cell-record.ts';
import type { CellRef, ProgramReport, RecheckRound } from './program-event.ts';

/** Inputs of `buildProgramReport`. */
export interface ReportInputs {
  region: Region;
  mode: 'host' | 'board';
  toleranceMicroS: number;
  targets: Float32Array;
  record: CellRecord;
  /** Pulses per cell at the end of the first pass. */
  firstPassPulses: Uint16Array;
  recheck: RecheckRound[];
}

/** Summarise a run: fractions within tolerance, pulse statistics, failed and stuck cells. */
export function buildProgramReport(x: ReportInputs): ProgramReport {
  const { region, targets, record, toleranceMicroS: tol } = x;
  const n = targets.length;
  let converged = 0;
  let inTol = 0;
  let inTolNonStuck = 0;
  let nonStuck = 0;
  let first = 0;
  let total = 0;
  const failedCells: CellRef[] = [];
  const stuckCells: CellRef[] = [];
  for (let k = 0; k < n; k++) {
    const s = record.status[k];
    const ok = Math.abs(record.g[k]! - targets[k]!) <= tol;
    if (ok) inTol++;
    first += x.firstPassPulses[k]!;
    total += record.pulses[k]!;
    const ref = (): CellRef => ({
      row: region.row + Math.floor(k / region.cols),
      col: region.col + (k % region.cols),
      targetMicroS: targets[k]!,
      finalMicroS: record.g[k]!,
    });
    if (s === CellStatus.Stuck) {
      stuckCells.push(ref());
      continue;
    }
    nonStuck++;
    if (ok) inTolNonStuck++;
    if (s === CellStatus.Converged) converged++;
    else failedCells.push(ref());
  }
  return {
    region: { ...region },
    mode: x.mode,
    toleranceMicroS: tol,
    targetsMicroS: targets,
    finalMicroS: record.g,
    pulses: record.pulses,
    status: record.status,
    programmedAtS: record.programmedAtS,
    cells: n,
    converged,
    failed: failedCells.length,
    stuck: stuckCells.length,
    inTolerance: n > 0 ? inTol / n : 1,
    inToleranceNonStuck: nonStuck > 0 ? inTolNonStuck / nonStuck : 1,
    meanPulses: n > 0 ? first / n : 0,
    meanPulsesTotal: n > 0 ? total / n : 0,
    pulseHistogram: pulseHistogram(x.firstPassPulses),
    failedCells,
    stuckCells,
    recheck: x.recheck,
  };
}
