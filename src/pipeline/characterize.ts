/**
 * Characterisation → NoiseModel. On one region, in this order (each step needs the previous):
 *   1. program known targets spread over the window (write-verify; also forms the cells);
 *   2. relaxation: after each settle time, an averaged map; drift from the programmed verify
 *      per conductance band, read noise removed (σ(G, t));
 *   3. read noise: repeated single reads of the settled cells (σ/G);
 *   4. column gain/offset: transfer curve and known-pattern MVMs on programmed rows, fitted by
 *      fitColumnCalibration (calibrate.ts);
 *   5. stuck cells: strong pulses, last, because it destroys the programmed state.
 * Waiting is injected (`wait`): real time for a board, clock advance for a virtual emulator.
 */
import {
  concat,
  concatMap,
  defer,
  from,
  last,
  map,
  of,
  toArray,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { ChipDriver, ChipInfo, Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { CellStatus } from '../programming/cell-status.ts';
import { topCount, type IfcModel } from '../inference/ifc-model.ts';
import type { ColumnCalibration } from './calibrate.ts';
import { measureColumnCalibration } from './calibrate-columns.ts';
import { detectStuck, type StuckMap } from './detect-stuck.ts';
import { idleOnCancel } from './idle-on-cancel.ts';
import { bandSigma, conductanceBands, relativeReadNoise, spread } from './noise-stats.ts';
import { NoiseModel, type NoiseModelJson } from './noise-model.ts';
import type { ProgramReport } from './program-event.ts';
import { programRegion, type ProgramRegionOptions } from './program.ts';
import { readRegion, type RegionMap } from './read-region.ts';
import { measureTransferCurve } from './transfer-curve.ts';
import { chipWait, schedulerWait, type Wait } from './wait.ts';

/** What to characterise, and how. */
export interface CharacterizeOptions {
  /** Cells to characterise. Default the whole array. */
  region?: Region;
  /** Times after programming to read relaxation at (s), ascending. Default [1, 60, 3600]. */
  relaxationTimesS?: number[];
  /** Reads averaged per conductance map. Default 16. */
  mapAverage?: number;
  /** Repeated single reads for read noise. Default 8. */
  noiseReads?: number;
  /** Conductance bands of the relaxation table. Default 8. */
  bands?: number;
  /** Programming of the known targets (mode, tolerance…). Default board mode, ±1 µS. */
  program?: Omit<ProgramRegionOptions, 'region' | 'targetsMicroS' | 'recheck' | 'wait'>;
  /** Column calibration: rows of the region driven (default 32) and vectors (default 512); false to skip. */
  columns?: { rows?: number; vectors?: number } | false;
  /** Detect stuck cells with strong pulses (destructive). Default true. */
  stuck?: boolean;
  /** How settle times pass. Default: on `scheduler` when one is given (tests), else the chip's own time (`ChipDriver.wait`). */
  wait?: Wait;
}

/** What `characterize` emits: one event per finished step, then the model. */
export type CharacterizeEvent =
  | { kind: 'step'; step: 'program'; report: ProgramReport }
  | { kind: 'step'; step: 'relaxation'; afterS: number; timeS: number; map: RegionMap }
  | { kind: 'step'; step: 'read-noise'; relative: number }
  | { kind: 'step'; step: 'columns'; calibration: ColumnCalibration }
  | { kind: 'step'; step: 'stuck'; stuck: StuckMap }
  | { kind: 'model'; model: NoiseModel };

/** Known targets spread evenly over the window in every row and column (golden-ratio sequence). */
export function characterizationTargets(
  n: number,
  window: { min: number; max: number },
): Float32Array {
  const phi = (Math.sqrt(5) - 1) / 2;
  return Float32Array.from(
    { length: n },
    (_, k) => window.min + (window.max - window.min) * ((0.5 + k * phi) % 1),
  );
}

function checkTimes(times: number[]): number[] {
  if (
    times.length === 0 ||
    times.some((t, i) => !(t > 0) || !Number.isFinite(t) || (i > 0 && t <= times[i - 1]!))
  )
    throw new BenchError(
      'INVALID_ARGUMENT',
      'relaxationTimesS must be positive, finite and ascending',
      { field: 'relaxationTimesS' },
    );
  return times;
}

/** Measure a NoiseModel on `driver`. Cancelling leaves the chip idle. */
export function characterize(
  driver: ChipDriver,
  options: CharacterizeOptions = {},
  scheduler?: SchedulerLike,
): Observable<CharacterizeEvent> {
  return defer(() => driver.identify()).pipe(
    last(),
    concatMap((info) =>
      run(
        driver,
        info,
        options,
        options.wait ?? (scheduler ? schedulerWait(scheduler) : chipWait(driver)),
      ),
    ),
    idleOnCancel(driver),
  );
}

function run(
  driver: ChipDriver,
  info: ChipInfo,
  o: CharacterizeOptions,
  wait: Wait,
): Observable<CharacterizeEvent> {
  const region = o.region ?? { row: 0, col: 0, rows: info.rows, cols: info.cols };
  const times = checkTimes(o.relaxationTimesS ?? [1, 60, 3600]);
  const mapAverage = o.mapAverage ?? 16;
  const noiseReads = o.noiseReads ?? 8;
  const bandCount = o.bands ?? 8;
  const window = info.conductanceWindowMicroS;
  const targets = characterizationTargets(region.rows * region.cols, window);
  let report: ProgramReport | undefined;
  let relative = NaN;
  let additive = NaN;
  let noiseCells = 0;
  let calibration: ColumnCalibration | undefined;
  let calibrationBits = 8;
  let readout: IfcModel | undefined;
  let stuckMap: StuckMap | undefined;
  const maps: RegionMap[] = [];
  const notStuck = (k: number) => report!.status[k] !== CellStatus.Stuck;

  const program = programRegion(driver, {
    mode: 'board',
    ...o.program,
    region,
    targetsMicroS: targets,
  }).pipe(
    last(),
    map((e): CharacterizeEvent => {
      if (e.kind !== 'report')
        throw new BenchError('PROTOCOL', 'programming ended without a report');
      report = e.report;
      return { kind: 'step', step: 'program', report: e.report };
    }),
  );

  // Settle times count from the end of programming; each wait covers the gap to the next time.
  const relaxation = from(times).pipe(
    concatMap((t, i) =>
      wait(t - (i > 0 ? times[i - 1]! : 0)).pipe(
        last(null, undefined),
        concatMap(() => readRegion(driver, region, mapAverage)),
        map((m): CharacterizeEvent => {
          maps.push(m);
          return { kind: 'step', step: 'relaxation', afterS: t, timeS: m.timeS, map: m };
        }),
      ),
    ),
  );

  const readNoise = defer(() => from(Array.from({ length: noiseReads }, (_, i) => i))).pipe(
    concatMap(() => readRegion(driver, region, 1)),
    map((m) => m.microS),
    toArray(),
    map((reads): CharacterizeEvent => {
      ({
        relative,
        additiveMicroS: additive,
        cells: noiseCells,
      } = relativeReadNoise(reads, notStuck, window.min));
      return { kind: 'step', step: 'read-noise', relative };
    }),
  );

  const columns =
    o.columns === false
      ? of<never>()
      : defer(() => {
          const settled = maps.at(-1)!.microS;
          const rowsUsed = Math.min(o.columns ? (o.columns.rows ?? 32) : 32, region.rows);
          const rows = Array.from({ length: rowsUsed }, (_, i) => region.row + i);
          const cols = Array.from({ length: region.cols }, (_, j) => region.col + j);
          const g = settled.slice(0, rowsUsed * region.cols);
          return measureTransferCurve(driver, { rows, cols, conductanceMicroS: g }).pipe(
            last(),
            concatMap((e) => {
              const model = e.kind === 'result' ? e.curves[0]?.model : undefined;
              if (!model)
                throw new BenchError('DEVICE', 'the readout transfer curve could not be fitted', {
                  step: 'columns',
                });
              calibrationBits = model.precisionBits;
              readout = model;
              const vectors = o.columns ? o.columns.vectors : undefined;
              return measureColumnCalibration(driver, {
                rows,
                cols,
                conductanceMicroS: g,
                model,
                vectors,
              });
            }),
            last(),
            map((c): CharacterizeEvent => {
              calibration = c;
              return { kind: 'step', step: 'columns', calibration: c };
            }),
          );
        });

  const stuck =
    o.stuck === false
      ? of<never>()
      : defer(() => detectStuck(driver, info, region)).pipe(
          map((m): CharacterizeEvent => {
            stuckMap = m;
            return { kind: 'step', step: 'stuck', stuck: m };
          }),
        );

  const model = defer(() => {
    const r = report!;
    // Stuck cells are those programming found stuck plus those the strong pulses did.
    const level = new Uint8Array(targets.length);
    for (let k = 0; k < level.length; k++) {
      if (stuckMap && stuckMap.level[k]! > 0) level[k] = stuckMap.level[k]!;
      else if (r.status[k] === CellStatus.Stuck)
        level[k] = r.finalMicroS[k]! < (window.min + window.max) / 2 ? 1 : 2;
    }
    // Relaxation follows a write: cells that needed no pulse were not written and are left out.
    const written = (k: number) => level[k] === 0 && notStuck(k) && r.pulses[k]! > 0;
    const bands = conductanceBands(r.finalMicroS, written, window, bandCount);
    const verifyAverage = o.program?.verifyAverage ?? 8;
    const noiseVar = (g: number) =>
      ((relative * g) ** 2 + additive ** 2) * (1 / mapAverage + 1 / verifyAverage);
    const sigmaMicroS: number[][] = [];
    const cells: number[][] = [];
    const timesS: number[] = [];
    for (const m of maps) {
      const b = bandSigma(bands, r.finalMicroS, m.microS, noiseVar);
      sigmaMicroS.push(b.sigma);
      cells.push(b.cells);
      // The actual time since programming: the median over cells of read time − programmed time.
      const ages = Array.from(r.programmedAtS, (t) => m.timeS - t)
        .filter(Number.isFinite)
        .sort((a, b2) => a - b2);
      timesS.push(ages[Math.floor(ages.length / 2)] ?? NaN);
    }
    const stuckCells: NoiseModelJson['stuck']['cells'] = [];
    let low = 0;
    level.forEach((l, k) => {
      if (l === 0) return;
      if (l === 1) low++;
      stuckCells.push({
        row: region.row + Math.floor(k / region.cols),
        col: region.col + (k % region.cols),
        level: l === 1 ? 'low' : 'high',
      });
    });
    let columnsJson: NoiseModelJson['columns'] = null;
    if (calibration) {
      const fitted = Array.from({ length: region.cols }, (_, j) => region.col + j).filter(
        (c) => calibration!.samples[c]! > 0,
      );
      const bits = calibrationBits;
      columnsJson = {
        precisionBits: bits,
        gain: Array.from(calibration.gain),
        offset: Array.from(calibration.offset),
        gainSpread: spread(fitted.map((c) => calibration!.gain[c]!)).relative,
        offsetSpread: spread(fitted.map((c) => calibration!.offset[c]!)).sigma / topCount(bits),
        ...(readout && {
          countsPerMicroSPulse: readout.countsPerMicroSPulse,
          saturationCount: Number.isFinite(readout.saturationCount)
            ? readout.saturationCount
            : null,
        }),
      };
    }
    const data: NoiseModelJson = {
      format: 'rram-bench.noise-model',
      version: 1,
      chip: { model: info.model, serial: info.serial, rows: info.rows, cols: info.cols },
      measuredAtS: maps.at(-1)?.timeS ?? NaN,
      conductanceWindowMicroS: { ...window },
      readNoise: { relative, additiveMicroS: additive, cells: noiseCells, reads: noiseReads },
      relaxation: { gMicroS: bands.centres, timesS, sigmaMicroS, cells },
      stuck: {
        region: { ...region },
        fraction: stuckCells.length / level.length,
        lowShare: stuckCells.length > 0 ? low / stuckCells.length : 0,
        cells: stuckCells,
      },
      columns: columnsJson,
    };
    return of<CharacterizeEvent>({ kind: 'model', model: NoiseModel.fromJSON(data) });
  });

  return concat(program, relaxation, readNoise, columns, stuck, model);
}
