/**
 * Put a mapped layer on the chip: form the virgin cells of its region, then write-verify the
 * targets with the board-side `program` verb (the fast path; host-driven ISPP lives in
 * src/pipeline/program.ts). Emits the driver's progress events and the result.
 */
import { concat, defer, type Observable } from 'rxjs';
import { ignoreElements } from 'rxjs/operators';
import type { ChipDriver, ProgramEvent } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { MappedWeights } from '../programming/mapping.ts';
import type { PlacedLayer } from '../programming/placement.ts';

/** Options of `deployLayer`. */
export interface DeployOptions {
  /** Write-verify tolerance (µS). Default 1. */
  toleranceMicroS?: number;
  /** Verify reads averaged per iteration. Default 1. */
  verifyAverage?: number;
}

/** Form and program `mapped` into `layer`'s region. */
export function deployLayer(
  driver: ChipDriver,
  layer: PlacedLayer,
  mapped: MappedWeights,
  options: DeployOptions = {},
): Observable<ProgramEvent> {
  const { region } = layer;
  return defer(() => {
    if (
      mapped.rows !== region.rows ||
      mapped.cols !== region.cols ||
      mapped.scheme !== layer.scheme
    )
      throw new BenchError(
        'INVALID_ARGUMENT',
        `layer ${layer.name}: mapped block ${mapped.rows}×${mapped.cols} (${mapped.scheme}) does not match its region ${region.rows}×${region.cols} (${layer.scheme})`,
        { field: 'mapped', layer: layer.name },
      );
    return concat(
      driver.form({ region }).pipe(ignoreElements()),
      driver.program({
        region,
        targetsMicroS: mapped.targetsMicroS,
        toleranceMicroS: options.toleranceMicroS ?? 1,
        verifyAverage: options.verifyAverage ?? 1,
      }),
    );
  });
}
