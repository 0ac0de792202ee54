/**
 * Stuck-cell detection: a cell that does not move under strong pulses is stuck. Each cell gets
 * the polarity that has room to move it (RESET above mid-window, SET below), at the top of the
 * amplitude and gate limits; a cell that moves less than `minMoveMicroS` (or that the board
 * refuses to pulse) is stuck at the level it reads. Destructive: programmed values are lost.
 */
import {
  concat,
  defer,
  from,
  ignoreElements,
  last,
  map,
  mergeMap,
  tap,
  type Observable,
} from 'rxjs';
import type { ChipDriver, ChipInfo, PulseRequest, Region } from '../../drivers/driver.ts';
import { readRegion } from './read-region.ts';

/** Options of `detectStuck`. */
export interface DetectStuckOptions {
  /** Reads averaged per map. Default 16. */
  average?: number;
  /** Pulses per cell. Default 2. */
  pulses?: number;
  /** Least movement of a switching cell (µS). Default 0.5. */
  minMoveMicroS?: number;
  /** Pulse requests in flight. Default 256. */
  concurrency?: number;
}

/** Stuck cells of a region: 0 switches, 1 stuck low, 2 stuck high (row-major). */
export interface StuckMap {
  region: Region;
  level: Uint8Array;
}

/** Test every cell of `region`. */
export function detectStuck(
  driver: ChipDriver,
  info: ChipInfo,
  region: Region,
  options: DetectStuckOptions = {},
): Observable<StuckMap> {
  const { average = 16, pulses = 2, minMoveMicroS = 0.5, concurrency = 256 } = options;
  const w = info.conductanceWindowMicroS;
  const mid = (w.min + w.max) / 2;
  const widthS = Math.min(info.limits.pulseWidthS.max, Math.max(info.limits.pulseWidthS.min, 1e-6));
  return defer(() => {
    let before: Float32Array = new Float32Array(0);
    const refused = new Uint8Array(region.rows * region.cols);
    const requests = (): { k: number; req: PulseRequest }[] =>
      Array.from(before, (g, k) => {
        const set = g < mid;
        const soa = set ? info.limits.set : info.limits.reset;
        return {
          k,
          req: {
            row: region.row + Math.floor(k / region.cols),
            col: region.col + (k % region.cols),
            polarity: set ? 'SET' : 'RESET',
            amplitudeV: soa.amplitudeV.max,
            gateV: soa.gateV.max,
            widthS,
            count: pulses,
          },
        };
      });
    return concat(
      readRegion(driver, region, average).pipe(
        tap((m) => (before = m.microS)),
        ignoreElements(),
      ),
      defer(() => from(requests())).pipe(
        mergeMap(
          ({ k, req }) =>
            driver.pulse(req).pipe(tap((r) => (refused[k] = r.applied === 0 ? 1 : 0))),
          concurrency,
        ),
        ignoreElements(),
      ),
      defer(() => readRegion(driver, region, average)).pipe(
        last(),
        map((after): StuckMap => {
          const level = new Uint8Array(before.length);
          for (let k = 0; k < level.length; k++)
            if (refused[k] === 1 || Math.abs(after.microS[k]! - before[k]!) < minMoveMicroS)
              level[k] = before[k]! < mid ? 1 : 2;
          return { region: { ...region }, level };
        }),
      ),
    );
  });
}
