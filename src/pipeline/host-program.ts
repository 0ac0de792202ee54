/**
 * Host-driven write-verify through the ChipDriver: one pulse and one read per request, batched
 * per block of rows so the link (or the in-process emulator) stays busy: read the block, pulse
 * every cell of it that needs one (concurrently), read the block again, until no cell of the
 * block is pending. The ISPP decisions are IsppState's.
 */
import {
  EMPTY,
  concatMap,
  concatWith,
  defer,
  expand,
  from,
  ignoreElements,
  last,
  map,
  mergeMap,
  of,
  tap,
  type Observable,
} from 'rxjs';
import type { ChipDriver, PulseRequest, Region } from '../../drivers/driver.ts';
import { CellStatus } from '../programming/cell-status.ts';
import type { IsppState } from '../programming/ispp-state.ts';
import type { ProgramProgress } from './program-event.ts';

/** How the host pass batches requests. */
export interface HostPassOptions {
  /** Rows read and pulsed together. */
  rowsPerBatch: number;
  /** Pulse requests in flight at once. */
  concurrency: number;
  phase: ProgramProgress['phase'];
  round: number;
}

/** Count statuses and pulses over the whole state. */
export function tally(state: { status: Uint8Array; pulses: Uint16Array }) {
  let converged = 0;
  let failed = 0;
  let stuck = 0;
  let pulses = 0;
  for (let k = 0; k < state.status.length; k++) {
    const s = state.status[k];
    if (s === CellStatus.Converged) converged++;
    else if (s === CellStatus.Failed) failed++;
    else if (s === CellStatus.Stuck) stuck++;
    pulses += state.pulses[k]!;
  }
  return { converged, failed, stuck, pulses };
}

/** Program the pending cells of `state` (over `region`) until each converges, fails or is stuck. */
export function hostPass(
  driver: ChipDriver,
  state: IsppState,
  region: Region,
  options: HostPassOptions,
): Observable<ProgramProgress> {
  return defer(() => {
    const { cols } = region;
    const average = state.settings.verifyAverage;
    const blocks: { r0: number; rows: number; cells: number }[] = [];
    let cellsTotal = 0;
    for (let r0 = 0; r0 < region.rows; r0 += options.rowsPerBatch) {
      const rows = Math.min(options.rowsPerBatch, region.rows - r0);
      let cells = 0;
      for (let k = r0 * cols; k < (r0 + rows) * cols; k++) if (state.isPending(k)) cells++;
      if (cells > 0) blocks.push({ r0, rows, cells });
      cellsTotal += cells;
    }
    let cellsDone = 0;
    const block = (b: { r0: number; rows: number; cells: number }) => {
      const blockRegion = { row: region.row + b.r0, col: region.col, rows: b.rows, cols };
      const base = b.r0 * cols;
      const readAndPlan = () =>
        driver.read({ region: blockRegion, average }).pipe(
          last(),
          map((m) => {
            const pulses: { k: number; req: PulseRequest }[] = [];
            for (let i = 0; i < m.microS.length; i++) {
              const k = base + i;
              if (!state.isPending(k)) continue;
              state.verify(k, m.microS[i]!, m.timeS);
              const p = state.nextPulse(k);
              if (p)
                pulses.push({
                  k,
                  req: {
                    row: blockRegion.row + Math.floor(i / cols),
                    col: region.col + (i % cols),
                    ...p,
                  },
                });
            }
            return pulses;
          }),
        );
      const pulseAll = (pulses: { k: number; req: PulseRequest }[]) =>
        from(pulses).pipe(
          mergeMap(
            ({ k, req }) => driver.pulse(req).pipe(tap((r) => state.applied(k, r.applied))),
            options.concurrency,
          ),
          ignoreElements(),
        );
      return readAndPlan().pipe(
        expand((pulses) =>
          pulses.length === 0 ? EMPTY : pulseAll(pulses).pipe(concatWith(defer(readAndPlan))),
        ),
        ignoreElements(),
        concatWith(
          defer(() => {
            cellsDone += b.cells;
            const t = tally(state);
            return of<ProgramProgress>({
              kind: 'progress',
              phase: options.phase,
              round: options.round,
              rows: { row: blockRegion.row, rows: b.rows },
              cellsDone,
              cellsTotal,
              ...t,
            });
          }),
        ),
      );
    };
    return from(blocks).pipe(concatMap(block));
  });
}
