/**
 * Read a region as a sequence of row blocks and assemble one map: a board answers a bounded
 * amount per request, and the blocks let a cancel land between them.
 */
import { concatMap, from, last, map, reduce, type Observable } from 'rxjs';
import type { ChipDriver, Region } from '../../drivers/driver.ts';

/** A region's conductances (µS, row-major) and the chip time of its first block. */
export interface RegionMap {
  microS: Float32Array;
  timeS: number;
}

/** Read `region` with `average` reads per value, `rowsPerRead` rows per request (default 32). */
export function readRegion(
  driver: ChipDriver,
  region: Region,
  average: number,
  rowsPerRead = 32,
): Observable<RegionMap> {
  const starts: number[] = [];
  for (let r = 0; r < region.rows; r += rowsPerRead) starts.push(r);
  return from(starts).pipe(
    concatMap((r0) =>
      driver
        .read({
          region: {
            ...region,
            row: region.row + r0,
            rows: Math.min(rowsPerRead, region.rows - r0),
          },
          average,
        })
        .pipe(
          last(),
          map((m) => ({ r0, m })),
        ),
    ),
    reduce(
      (acc, { r0, m }) => {
        acc.microS.set(m.microS, r0 * region.cols);
        if (r0 === 0) acc.timeS = m.timeS;
        return acc;
      },
      { microS: new Float32Array(region.rows * region.cols), timeS: NaN } as RegionMap,
    ),
  );
}
