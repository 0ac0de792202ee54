/**
 * A synchronous in-memory ChipDriver for marble tests: every operation answers with `of(...)`,
 * so the pipeline's only time is its scheduler's. Cells start at `startMicroS`; a pulse or a
 * board write puts a cell exactly on the value `pulseTarget` asks for; reads add `drift(k, age)`.
 */
import { map, of, timer, type SchedulerLike } from 'rxjs';
import type {
  ChipDriver,
  ConductanceMap,
  ProgramEvent,
  ProgramRequest,
  PulseRequest,
  ReadRequest,
} from '../../drivers/driver.ts';
import { emulatedChipInfo } from '../../drivers/emulator/emulator-driver.ts';
import { loadProfile } from '../../drivers/emulator/profile.ts';

/** Options of the fake chip. */
export interface FakeChipOptions {
  scheduler: SchedulerLike;
  /** Target the host asks for, per cell index (row·256 + col). */
  targets: Map<number, number>;
  startMicroS?: number;
  /** Extra µS a read sees, given the cell, its age since last write (s) and its write count. */
  drift?: (k: number, ageS: number, writes: number) => number;
}

/** Build the fake; `calls` counts operations by name. */
export function fakeChip(o: FakeChipOptions) {
  const info = emulatedChipInfo(loadProfile('vlsi19-hfo2-256'), 1);
  const g = new Map<number, number>();
  const writtenAt = new Map<number, number>();
  const writes = new Map<number, number>();
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const now = () => o.scheduler.now() / 1000;
  const write = (k: number) => {
    g.set(k, o.targets.get(k) ?? 0);
    writtenAt.set(k, now());
    writes.set(k, (writes.get(k) ?? 0) + 1);
  };
  const value = (k: number) =>
    (g.get(k) ?? o.startMicroS ?? 20) +
    (o.drift?.(k, now() - (writtenAt.get(k) ?? now()), writes.get(k) ?? 0) ?? 0);
  const driver: ChipDriver = {
    identify: () => (count('identify'), of(structuredClone(info))),
    form: (req) => {
      count('form');
      const n = req.region.rows * req.region.cols;
      return of({
        region: req.region,
        formed: new Uint8Array(n).fill(1),
        pulses: new Uint16Array(n),
        conductanceMicroS: new Float32Array(n),
      });
    },
    wait: (seconds: number) => (
      count('wait'),
      timer(seconds * 1000, o.scheduler).pipe(map(() => undefined))
    ),
    pulse: (req: PulseRequest) => {
      count('pulse');
      write(req.row * info.cols + req.col);
      return of({ row: req.row, col: req.col, applied: 1 });
    },
    read: (req: ReadRequest) => {
      count('read');
      const { region } = req;
      const microS = new Float32Array(region.rows * region.cols);
      for (let r = 0; r < region.rows; r++)
        for (let c = 0; c < region.cols; c++)
          microS[r * region.cols + c] = value((region.row + r) * info.cols + region.col + c);
      return of<ConductanceMap>({ region, microS, average: req.average ?? 1, timeS: now() });
    },
    program: (req: ProgramRequest) => {
      count('program');
      const { region } = req;
      const n = region.rows * region.cols;
      const finalMicroS = new Float32Array(n);
      const pulses = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const k =
          (region.row + Math.floor(i / region.cols)) * info.cols + region.col + (i % region.cols);
        const before = value(k);
        if (Math.abs(before - req.targetsMicroS[i]!) > (req.toleranceMicroS ?? 1)) {
          write(k);
          pulses[i] = 1;
        }
        finalMicroS[i] = value(k);
      }
      return of<ProgramEvent>({
        kind: 'result',
        result: { region, finalMicroS, pulses, converged: new Uint8Array(n).fill(1) },
      });
    },
    mvm: () => {
      throw new Error('fake chip: no mvm');
    },
    configure: () => {
      throw new Error('fake chip: no configure');
    },
    readout: () => {
      throw new Error('fake chip: no readout');
    },
    idle: () => (count('idle'), of(undefined)),
    close: () => Promise.resolve(),
  };
  return { driver, calls, info };
}
