/**
 * The IFC transfer-curve measurement: on a block of known conductances, sweep the input current
 * (pulses per word line × conductance) at each Vref × Vth setting, and return counts against
 * linear drive (µS·pulses) per column, with k and nSat fitted per setting. A cold Observable
 * of progress events and a final result, so a campaign step can run, log and cancel it; the
 * readout configuration found at the start is restored at the end (also after an error).
 */
import {
  asyncScheduler,
  concat,
  defer,
  from,
  of,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { catchError, concatMap, ignoreElements, last, map, mergeMap } from 'rxjs/operators';
import type { ChipDriver, ReadoutConfig } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { fitIfcModel, topCount, type IfcModel } from '../inference/ifc-model.ts';

/** What to sweep. */
export interface TransferCurveRequest {
  /** Word lines driven (all with the same pulse count). */
  rows: readonly number[];
  /** Bit lines read. */
  cols: readonly number[];
  /** Known conductances (µS), `rows.length × cols.length` row-major. */
  conductanceMicroS: Float32Array;
  /** Pulse counts per word line. Default 0..2^b − 1 in 64 steps. */
  pulseCounts?: readonly number[];
  /** Vref settings (V). Default: the one in force. */
  readV?: readonly number[];
  /** Vth settings (V). Default: the one in force. */
  vthV?: readonly number[];
  /** Precision (bits). Default: the one in force. */
  precisionBits?: number;
  /** Wait after each configure before measuring (s), for the bias to settle. Default 0. */
  settleS?: number;
  /** Scheduler of the settle wait. Default asyncScheduler. */
  scheduler?: SchedulerLike;
}

/** One measured curve at one setting. */
export interface TransferCurve {
  readV: number;
  vthV: number;
  precisionBits: number;
  pulseCounts: readonly number[];
  cols: readonly number[];
  /** Linear drive p·Σ_i g_ij (µS·pulses), `pulseCounts.length × cols.length`. */
  microSPulses: Float64Array;
  /** Measured counts, same shape. */
  counts: Uint8Array;
  /** k and nSat fitted over all columns; undefined when the curve has too few unclipped points. */
  model: IfcModel | undefined;
}

/** Progress after each setting, then all curves. */
export type TransferCurveEvent =
  | { kind: 'progress'; done: number; total: number; curve: TransferCurve }
  | { kind: 'result'; curves: TransferCurve[] };

/** Run the sweep on `driver`. */
export function measureTransferCurve(
  driver: ChipDriver,
  request: TransferCurveRequest,
): Observable<TransferCurveEvent> {
  const { rows, cols, conductanceMicroS: g, settleS = 0, scheduler = asyncScheduler } = request;
  const k = rows.length;
  const n = cols.length;
  const colSums = new Float64Array(n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) colSums[j]! += g[i * n + j] ?? NaN;
  return defer(() => {
    if (g.length !== k * n || colSums.some((s) => !Number.isFinite(s)))
      throw new BenchError('INVALID_ARGUMENT', `conductances must hold ${k}×${n} finite values`, {
        field: 'conductanceMicroS',
      });
    return driver.readout();
  }).pipe(
    last(),
    mergeMap((saved: ReadoutConfig) => {
      const bits = request.precisionBits ?? saved.precisionBits;
      const top = topCount(bits);
      const levels =
        request.pulseCounts ?? Array.from({ length: 64 }, (_, i) => Math.round((i * top) / 63));
      const grid = (request.readV ?? [saved.readV]).flatMap((readV) =>
        (request.vthV ?? [saved.vthV]).map((vthV) => ({ readV, vthV })),
      );
      const inputs = new Uint8Array(levels.length * k);
      levels.forEach((p, l) => inputs.fill(p, l * k, (l + 1) * k));
      const measure = ({ readV, vthV }: { readV: number; vthV: number }) =>
        concat(
          driver
            .configure({ precisionBits: bits, readV, vthV, mode: 'COUNT' })
            .pipe(ignoreElements()),
          settleS > 0 ? timer(settleS * 1000, scheduler).pipe(ignoreElements()) : of(),
          defer(() => driver.mvm({ rows, cols, inputs })),
        ).pipe(
          map((res): TransferCurve => {
            const microSPulses = new Float64Array(levels.length * n);
            levels.forEach((p, l) => colSums.forEach((s, j) => (microSPulses[l * n + j] = p * s)));
            const points = Array.from(res.values, (count, i) => ({
              microSPulses: microSPulses[i]!,
              count,
            }));
            let model: IfcModel | undefined;
            try {
              model = fitIfcModel(points, bits);
            } catch {
              model = undefined;
            }
            return {
              readV,
              vthV,
              precisionBits: bits,
              pulseCounts: levels,
              cols,
              microSPulses,
              counts: res.values,
              model,
            };
          }),
        );
      const restore = driver.configure(saved).pipe(ignoreElements());
      const curves: TransferCurve[] = [];
      const sweep = from(grid).pipe(
        concatMap(measure),
        map((curve): TransferCurveEvent => {
          curves.push(curve);
          return { kind: 'progress', done: curves.length, total: grid.length, curve };
        }),
      );
      const result = defer(() => of<TransferCurveEvent>({ kind: 'result', curves }));
      const rethrow = (e: unknown) => defer(() => throwError(() => e));
      return concat(sweep, restore, result).pipe(
        catchError((e: unknown) => concat(restore, rethrow(e))),
      );
    }),
  );
}
