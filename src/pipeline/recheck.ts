/**
 * The relaxation re-check: cells drift after programming (zero-mean, growing with log time), so
 * after a settle time the region is read again and the cells that left the re-check tolerance
 * are programmed again — a fresh write both re-centres them and, on HfO2, relaxes less than the
 * first. Rounds repeat until none drift or the round budget is spent.
 */
import { EMPTY, concat, defer, last, mergeMap, type Observable } from 'rxjs';
import type { ChipDriver, Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { CellStatus } from '../programming/cell-status.ts';
import type { CellRecord } from './cell-record.ts';
import type { ProgramProgress, RecheckRound } from './program-event.ts';
import { readRegion } from './read-region.ts';
import type { Wait } from './wait.ts';

/** Re-check settings. */
export interface RecheckOptions {
  /** Wait after programming, and after each round, before reading (s). */
  settleS: number;
  /** Re-program cells further than this from target (µS). Default: the programming tolerance. */
  toleranceMicroS?: number;
  /** Most rounds. Default 1. */
  rounds?: number;
}

/** What a re-check round needs from its caller. */
export interface RecheckContext {
  driver: ChipDriver;
  record: CellRecord;
  region: Region;
  targets: Float32Array;
  verifyAverage: number;
  toleranceMicroS: number;
  wait: Wait;
  /** Re-program the cells `drifted` selects (their status was reset to Pending). */
  reprogram: (drifted: Uint8Array, round: number) => Observable<ProgramProgress>;
}

/** Check and default re-check options. */
export function recheckSettings(
  o: RecheckOptions,
  toleranceMicroS: number,
): Required<RecheckOptions> {
  const r = {
    settleS: o.settleS,
    toleranceMicroS: o.toleranceMicroS ?? toleranceMicroS,
    rounds: o.rounds ?? 1,
  };
  const bad = (field: string, why: string) =>
    new BenchError('INVALID_ARGUMENT', `recheck.${field} ${why}`, { field });
  if (!(r.settleS >= 0) || !Number.isFinite(r.settleS))
    throw bad('settleS', 'must be a finite time ≥ 0 s');
  if (!(r.toleranceMicroS > 0)) throw bad('toleranceMicroS', 'must be > 0 µS');
  if (!Number.isInteger(r.rounds) || r.rounds < 0 || r.rounds > 100)
    throw bad('rounds', 'must be an integer in [0, 100]');
  return r;
}

/** Run the re-check rounds; emits re-programming progress and one RecheckRound per round. */
export function recheckRounds(
  ctx: RecheckContext,
  options: Required<RecheckOptions>,
): Observable<ProgramProgress | RecheckRound> {
  const { record, targets } = ctx;
  const round = (n: number): Observable<ProgramProgress | RecheckRound> =>
    n > options.rounds
      ? EMPTY
      : ctx.wait(options.settleS).pipe(
          last(null, undefined),
          mergeMap(() => readRegion(ctx.driver, ctx.region, ctx.verifyAverage)),
          mergeMap((m) => {
            const drifted = new Uint8Array(targets.length);
            let checked = 0;
            let count = 0;
            let pulsesBefore = 0;
            for (let k = 0; k < targets.length; k++) {
              pulsesBefore += record.pulses[k]!;
              if (record.status[k] === CellStatus.Stuck) continue;
              checked++;
              record.g[k] = m.microS[k]!;
              if (Math.abs(m.microS[k]! - targets[k]!) > options.toleranceMicroS) {
                drifted[k] = 1;
                record.status[k] = CellStatus.Pending;
                count++;
              }
            }
            const summary = (): RecheckRound => {
              let pulses = -pulsesBefore;
              for (let k = 0; k < targets.length; k++) pulses += record.pulses[k]!;
              return {
                kind: 'recheck',
                round: n,
                settleS: options.settleS,
                timeS: m.timeS,
                checked,
                drifted: count,
                inToleranceBefore: checked > 0 ? 1 - count / checked : 1,
                pulses,
              };
            };
            if (count === 0) return defer(() => [summary()]);
            return concat(
              ctx.reprogram(drifted, n),
              defer(() => [summary()]),
              round(n + 1),
            );
          }),
        );
  return defer(() => round(1));
}
