/**
 * The board-side fast path: the firmware's write-verify verb (`driver.program`) per block of
 * rows, bracketed by two host reads of the block — one before, to tell a stuck cell (did not
 * move) from one that ran out of pulses, and one after, which timestamps the cells for the
 * relaxation re-check. Cells that fail but do move get `retries` more firmware passes; stuck
 * cells none.
 */
import {
  EMPTY,
  concat,
  concatMap,
  defer,
  from,
  ignoreElements,
  last,
  map,
  tap,
  type Observable,
} from 'rxjs';
import type { ChipDriver, ProgramResult, Region } from '../../drivers/driver.ts';
import { CellStatus } from '../programming/cell-status.ts';
import { acceptWindow, type IsppSettings } from '../programming/ispp-settings.ts';
import type { CellRecord } from './cell-record.ts';
import { tally } from './host-program.ts';
import type { ProgramProgress } from './program-event.ts';

/** How the board pass batches requests. */
export interface BoardPassOptions {
  rowsPerBatch: number;
  /** Extra firmware passes over rows holding failed (not stuck) cells. */
  retries: number;
  phase: ProgramProgress['phase'];
  round: number;
  /** Which cells to (re-)program; default all non-stuck cells. */
  select?: (k: number) => boolean;
}

/** Program the selected cells of `region` with the firmware verb, updating `record`. */
export function boardPass(
  driver: ChipDriver,
  record: CellRecord,
  region: Region,
  targets: Float32Array,
  settings: IsppSettings,
  options: BoardPassOptions,
): Observable<ProgramProgress> {
  const { cols } = region;
  const average = settings.verifyAverage;
  // The firmware has one tolerance per request: guard it for the top of the window, where
  // read noise (relative to G) is largest, so that accepted cells are truly within tolerance.
  const tolerance = acceptWindow(settings, settings.windowMicroS.max);
  const wanted = (k: number) =>
    record.status[k] !== CellStatus.Stuck && (options.select?.(k) ?? true);
  const rowsOf = (pred: (k: number) => boolean) => {
    const rows: number[] = [];
    for (let r = 0; r < region.rows; r++)
      for (let c = 0; c < cols; c++)
        if (pred(r * cols + c)) {
          rows.push(r);
          break;
        }
    return rows;
  };
  const batches = (rows: number[]) => {
    const out: { r0: number; rows: number }[] = [];
    for (const r of rows) {
      const b = out.at(-1);
      if (b && r === b.r0 + b.rows && b.rows < options.rowsPerBatch) b.rows++;
      else out.push({ r0: r, rows: 1 });
    }
    return out;
  };
  const pass = (rows: number[]) => {
    const counter = { done: 0, total: 0 };
    for (const r of rows) for (let c = 0; c < cols; c++) if (wanted(r * cols + c)) counter.total++;
    return from(batches(rows)).pipe(
      concatMap((b) => {
        const blockRegion: Region = { row: region.row + b.r0, col: region.col, rows: b.rows, cols };
        const base = b.r0 * cols;
        let before: Float32Array | undefined;
        let result: ProgramResult | undefined;
        const read = () => driver.read({ region: blockRegion, average }).pipe(last());
        return concat(
          read().pipe(
            tap((m) => (before = m.microS)),
            ignoreElements(),
          ),
          defer(() =>
            driver.program({
              region: blockRegion,
              targetsMicroS: targets.slice(base, base + b.rows * cols),
              toleranceMicroS: tolerance,
              maxIterations: settings.maxIterations,
              maxPulsesPerPolarity: settings.maxPulsesPerPolarity,
              verifyAverage: average,
            }),
          ).pipe(
            tap((e) => {
              if (e.kind === 'result') result = e.result;
            }),
            ignoreElements(),
          ),
          defer(() => read()).pipe(
            map((after) => {
              let cells = 0;
              for (let i = 0; i < after.microS.length; i++) {
                const k = base + i;
                if (!wanted(k)) continue;
                cells++;
                const pulses = result?.pulses[i] ?? 0;
                const converged = result?.converged[i] === 1;
                // The firmware's last verify follows the cell's last pulse within microseconds;
                // the block read after the verb is later by the rest of the block, so it is used
                // for the time stamp and as a fallback only.
                const final = result?.finalMicroS[i] ?? after.microS[i]!;
                const moved = Math.abs(final - before![i]!);
                record.pulses[k] = Math.min(0xffff, record.pulses[k]! + pulses);
                record.g[k] = final;
                if (pulses > 0 || Number.isNaN(record.programmedAtS[k]!))
                  record.programmedAtS[k] = after.timeS;
                record.status[k] = converged
                  ? CellStatus.Converged
                  : pulses === 0 || moved < settings.stuckMicroS
                    ? CellStatus.Stuck
                    : CellStatus.Failed;
              }
              counter.done += cells;
              return {
                kind: 'progress' as const,
                phase: options.phase,
                round: options.round,
                rows: { row: blockRegion.row, rows: b.rows },
                cellsDone: counter.done,
                cellsTotal: counter.total,
                ...tally(record),
              };
            }),
          ),
        );
      }),
    );
  };
  return defer(() => {
    const retry = (left: number): Observable<ProgramProgress> =>
      defer(() => {
        const rows = rowsOf((k) => wanted(k) && record.status[k] === CellStatus.Failed);
        if (left <= 0 || rows.length === 0) return EMPTY;
        return concat(pass(rows), retry(left - 1));
      });
    return concat(pass(rowsOf(wanted)), retry(options.retries));
  });
}
