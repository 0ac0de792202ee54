/**
 * Write-verify programming of a region as one cold Observable: optional forming, a first pass
 * (host-driven ISPP through `pulse`/`read`, or the board's `program` verb), optional relaxation
 * re-check rounds, then a report. Unsubscribing stops after the request in flight and leaves
 * the chip idle; so does an error.
 */
import {
  concat,
  concatMap,
  defer,
  ignoreElements,
  last,
  of,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { ChipDriver, ChipInfo, Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { isppSettings, type IsppOptions } from '../programming/ispp-settings.ts';
import { IsppState } from '../programming/ispp-state.ts';
import { boardPass } from './board-program.ts';
import { cellRecord, type CellRecord } from './cell-record.ts';
import { hostPass } from './host-program.ts';
import { idleOnCancel } from './idle-on-cancel.ts';
import type { ProgramProgress, ProgramRegionEvent, RecheckRound } from './program-event.ts';
import { buildProgramReport } from './program-report.ts';
import { recheckRounds, recheckSettings, type RecheckOptions } from './recheck.ts';
import { chipWait, schedulerWait, type Wait } from './wait.ts';

/** What to program, and how. ISPP fields (tolerance, averaging, ramps, caps) apply to both modes. */
export interface ProgramRegionOptions extends IsppOptions {
  /** Cells to program. */
  region: Region;
  /** Target conductances (µS), row-major over the region, each within the chip's window. */
  targetsMicroS: Float32Array;
  /** `board` (default): the firmware's write-verify verb; `host`: ISPP pulse by pulse from here. */
  mode?: 'host' | 'board';
  /** Relaxation re-check after programming; none by default. */
  recheck?: RecheckOptions;
  /** Form virgin cells of the region first (formed cells are skipped by the chip). Default true. */
  form?: boolean;
  /** Rows per read/pulse batch (host) or per `program` request (board). Default 8. */
  rowsPerBatch?: number;
  /** Host mode: pulse requests in flight at once. Default 256. */
  concurrency?: number;
  /** Board mode: extra firmware passes over rows with failed, non-stuck cells. Default 1. */
  retries?: number;
  /** How settle times pass. Default: on `scheduler` when one is given (tests), else the chip's own time (`ChipDriver.wait`). */
  wait?: Wait;
}

function checkTargets(info: ChipInfo, region: Region, targets: Float32Array): void {
  const bad = (message: string, context: Record<string, unknown>) =>
    new BenchError('INVALID_ARGUMENT', message, context);
  const ok = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (
    !ok(region.row, 0, info.rows - 1) ||
    !ok(region.col, 0, info.cols - 1) ||
    !ok(region.rows, 1, info.rows - region.row) ||
    !ok(region.cols, 1, info.cols - region.col)
  )
    throw bad(
      `region ${JSON.stringify(region)} is not inside the ${info.rows}×${info.cols} array`,
      { field: 'region' },
    );
  const n = region.rows * region.cols;
  if (!(targets instanceof Float32Array) || targets.length !== n)
    throw bad(`targets must be a Float32Array of ${n} values`, { field: 'targetsMicroS' });
  const w = info.conductanceWindowMicroS;
  for (let k = 0; k < n; k++) {
    const t = targets[k]!;
    if (!(t >= w.min && t <= w.max)) {
      const row = region.row + Math.floor(k / region.cols);
      const col = region.col + (k % region.cols);
      throw new BenchError(
        Number.isFinite(t) ? 'LIMIT' : 'INVALID_ARGUMENT',
        `target ${t} µS at cell (${row}, ${col}) is outside the conductance window [${w.min}, ${w.max}] µS`,
        { field: 'targetsMicroS', row, col, value: t },
      );
    }
  }
}

function positiveInt(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new BenchError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${v}`, {
      field,
    });
  return v;
}

/** Program `options.region` to its targets; emits progress, re-check rounds, then `{ kind: 'report' }`. */
export function programRegion(
  driver: ChipDriver,
  options: ProgramRegionOptions,
  scheduler?: SchedulerLike,
): Observable<ProgramRegionEvent> {
  return defer(() => driver.identify()).pipe(
    last(),
    concatMap((info) => {
      const { region, targetsMicroS: targets, mode = 'board' } = options;
      checkTargets(info, region, targets);
      const settings = isppSettings(info, options);
      const rowsPerBatch = positiveInt('rowsPerBatch', options.rowsPerBatch ?? 8);
      const concurrency = positiveInt('concurrency', options.concurrency ?? 256);
      const retries = options.retries ?? 1;
      if (!Number.isInteger(retries) || retries < 0)
        throw new BenchError('INVALID_ARGUMENT', 'retries must be an integer ≥ 0', {
          field: 'retries',
        });
      const recheck = options.recheck
        ? recheckSettings(options.recheck, settings.toleranceMicroS)
        : undefined;
      const wait = options.wait ?? (scheduler ? schedulerWait(scheduler) : chipWait(driver));
      const n = targets.length;
      const state = mode === 'host' ? new IsppState(settings, targets) : undefined;
      const record: CellRecord = state ?? cellRecord(n);
      const pass = (
        phase: ProgramProgress['phase'],
        round: number,
        select?: Uint8Array,
      ): Observable<ProgramProgress> =>
        state
          ? defer(() => {
              if (select) for (let k = 0; k < n; k++) if (select[k] === 1) state.reopen(k);
              return hostPass(driver, state, region, { rowsPerBatch, concurrency, phase, round });
            })
          : boardPass(driver, record, region, targets, settings, {
              rowsPerBatch,
              retries,
              phase,
              round,
              select: select && ((k) => select[k] === 1),
            });
      let firstPassPulses = new Uint16Array(0);
      const rounds: RecheckRound[] = [];
      const form =
        (options.form ?? true) ? driver.form({ region }).pipe(ignoreElements()) : of<never>();
      return concat(
        form,
        pass('program', 0),
        defer(() => {
          firstPassPulses = record.pulses.slice();
          if (!recheck || recheck.rounds === 0) return of<never>();
          return recheckRounds(
            {
              driver,
              record,
              region,
              targets,
              verifyAverage: settings.verifyAverage,
              toleranceMicroS: settings.toleranceMicroS,
              wait,
              reprogram: (drifted, round) => pass('recheck', round, drifted),
            },
            recheck,
          );
        }),
        defer(() => [
          {
            kind: 'report' as const,
            report: buildProgramReport({
              region,
              mode,
              toleranceMicroS: settings.toleranceMicroS,
              targets,
              record,
              firstPassPulses,
              recheck: rounds,
            }),
          },
        ]),
      ).pipe(
        // Keep the rounds for the report as they pass.
        tap((e) => {
          if (e.kind === 'recheck') rounds.push(e);
        }),
      );
    }),
    idleOnCancel(driver),
  );
}
