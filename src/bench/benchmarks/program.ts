/**
 * Write-verify benchmarks: programming all 65,536 cells of the default emulated chip to random
 * targets in [1, 40] µS at ±1 µS — in process (board verb and host ISPP) and through the
 * firmware emulator over a pseudo-terminal. `program.pulses_per_cell` and
 * `program.in_tolerance` report the in-process board run beside its time (measured once, shared).
 */
import { lastValueFrom } from 'rxjs';
import type { ChipDriver } from '../../../drivers/driver.ts';
import { BenchError } from '../../../drivers/driver.ts';
import { openChip, serveEmulator } from '../../../drivers/factory.ts';
import type { ProgramReport } from '../../pipeline/program-event.ts';
import { programRegion } from '../../pipeline/program.ts';
import { seededRandom } from '../../pipeline/seeded-random.ts';
import type { Benchmark, BenchResult } from '../harness.ts';

const REGION = { row: 0, col: 0, rows: 256, cols: 256 };

function targets(seed: number): Float32Array {
  const u = seededRandom(seed);
  return Float32Array.from({ length: REGION.rows * REGION.cols }, () => 1 + 39 * u());
}

/** Program the full array on `driver`; the report and the wall time (s). */
async function programFull(
  driver: ChipDriver,
  mode: 'host' | 'board',
): Promise<{ report: ProgramReport; seconds: number }> {
  const t0 = performance.now();
  const last = await lastValueFrom(
    programRegion(driver, { region: REGION, targetsMicroS: targets(1), mode }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (last.kind !== 'report')
    throw new BenchError('PROTOCOL', 'programming ended without a report');
  return { report: last.report, seconds };
}

async function inProcess(mode: 'host' | 'board') {
  const chip = await openChip({ emulator: true, seed: 1, clock: 'virtual' });
  try {
    return await programFull(chip, mode);
  } finally {
    await chip.close();
  }
}

/** The board run, measured once and shared by the three entries that report on it. */
let boardRun: ReturnType<typeof inProcess> | undefined;
const board = () => (boardRun ??= inProcess('board'));

function figures(r: ProgramReport) {
  return {
    pulsesPerCell: r.meanPulses,
    inTolerance: r.inToleranceNonStuck,
    inToleranceAll: r.inTolerance,
    stuck: r.stuck,
    failed: r.failed,
  };
}

/** `program.*` benchmarks. */
export const programBenchmarks: Benchmark[] = [
  {
    name: 'program.full_array_s',
    description:
      'write-verify all 65,536 cells to random 1–40 µS targets at ±1 µS, board verb, in-process emulator',
    async run(): Promise<BenchResult> {
      const { report, seconds } = await board();
      return { value: seconds, unit: 's', higherIsBetter: false, target: 20, ...figures(report) };
    },
  },
  {
    name: 'program.pulses_per_cell',
    description: 'mean write pulses per cell of program.full_array_s',
    async run(): Promise<BenchResult> {
      const { report } = await board();
      return {
        value: report.meanPulses,
        unit: 'pulses',
        higherIsBetter: false,
        target: 10,
        histogram: report.pulseHistogram,
      };
    },
  },
  {
    name: 'program.in_tolerance',
    description:
      'fraction of non-stuck cells whose last verify is within ±1 µS after program.full_array_s',
    async run(): Promise<BenchResult> {
      const { report } = await board();
      return {
        value: report.inToleranceNonStuck,
        unit: 'fraction',
        higherIsBetter: true,
        target: 0.995,
        all: report.inTolerance,
      };
    },
  },
  {
    name: 'program.full_array_host_s',
    description:
      'the same with host-driven ISPP (one pulse or read per request), in-process emulator',
    async run(): Promise<BenchResult> {
      const { report, seconds } = await inProcess('host');
      return { value: seconds, unit: 's', higherIsBetter: false, ...figures(report) };
    },
  },
  {
    name: 'program.full_array_serial_s',
    description:
      'the board-verb full array through the firmware emulator on a pseudo-terminal (socat)',
    async run(): Promise<BenchResult> {
      // The emulated board on a pty (IO naming socat when it is missing), reached by port.
      const board = await serveEmulator({ transport: 'pty', seed: 1, clock: 'virtual' });
      let driver: ChipDriver | undefined;
      try {
        driver = await openChip({ port: board.path });
        const { report, seconds } = await programFull(driver, 'board');
        return { value: seconds, unit: 's', higherIsBetter: false, target: 60, ...figures(report) };
      } finally {
        await driver?.close();
        await board.close();
      }
    },
  },
];
