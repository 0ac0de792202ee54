/**
 * The one way `src/` obtains a ChipDriver: by options, never by importing an implementation.
 * `--port` opens a SerialDriver (docs/protocol.md); otherwise the in-process emulator.
 */
import type { ChipDriver, ChipInfo } from './driver.ts';
import { BenchError } from './driver.ts';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { PulseLogEntry } from './serial/board/firmware.ts';
import {
  datasheet,
  type DatasheetConditions as DatasheetConditionsFull,
  type DatasheetFigures,
} from './emulator/energy.ts';
import { EmulatorDriver } from './emulator/emulator-driver.ts';
import { listProfiles, loadProfile } from './emulator/profile.ts';
import type { LinkFaults } from './serial/faults/faults.ts';
import type { emulatorBenchmarks as EmulatorBenchmarks } from './emulator/benchmarks.ts';
import type { linkBenchmarks as LinkBenchmarks } from './serial/benchmarks.ts';
import type { ConformanceOptions, ConformanceReport } from './serial/conformance/conformance.ts';
import type { ConformanceTarget } from './serial/conformance/conformance-wire.ts';
import type { PortListing } from './serial/transport/list-ports.ts';

/** How to reach a chip. */
export interface OpenChipOptions {
  /** Use the in-process emulator (the default when no port is given). */
  emulator?: boolean;
  /** Emulator: profile name or path to a profile JSON. Default `vlsi19-hfo2-256`. */
  profile?: string;
  /** Emulator: seed of the chip's randomness. Default 1. */
  seed?: number;
  /** Emulator: file the chip state is loaded from (if it exists) and saved to on close. */
  chipState?: string;
  /** Emulator: `wall` (default) or `virtual` time; see EmulatorOptions.clock. */
  clock?: 'wall' | 'virtual';
  /** Serial: port path, e.g. /dev/ttyUSB0. */
  port?: string;
  /** Serial: baud rate. Default 921600. */
  baud?: number;
  /** Serial: margin of every request's timeout (ms). Default 1000. */
  timeoutMs?: number;
  /** Serial: how long one request may go unanswered while the board answers (ms). Default 120000. */
  deadlineMs?: number;
}

/** Open a chip driver. */
export async function openChip(options: OpenChipOptions): Promise<ChipDriver> {
  if (options.port !== undefined) {
    if (options.emulator)
      throw new BenchError('USAGE', 'give either --port or --emulator, not both');
    // Loaded here, so a command on the emulator never loads serialport (start-up time).
    const { SerialDriver } = await import('./serial/host/serial-driver.ts');
    return SerialDriver.open({
      path: options.port,
      baudRate: options.baud,
      timeoutMs: options.timeoutMs,
      deadlineMs: options.deadlineMs,
    });
  }
  return EmulatorDriver.create({
    profile: options.profile,
    seed: options.seed,
    chipState: options.chipState,
    clock: options.clock,
  });
}

/** Datasheet conditions (each optional): precision (bits, default 8), clock (Hz, default the profile's), input activity (fraction of full scale, default 0.1307, MNIST's), mean conductance of the driven cells (µS, default a mapped network's, 7.51 µS at 1–40 µS). */
export type DatasheetConditions = Partial<DatasheetConditionsFull>;

/** Figures computed from a chip model: pJ/MAC, mW, GOPS and ns at 8-bit and at the conditions' precision, full-array MVM/s, and the conditions. */
export type Datasheet = DatasheetFigures;

/** Datasheet figures for a chip model, when rram-bench has a physics model of it (else undefined). */
export function datasheetFor(
  model: string,
  conditions: DatasheetConditions = {},
): Datasheet | undefined {
  const names = listProfiles();
  const name = names.includes(model) ? model : names.find((n) => loadProfile(n).model === model);
  if (name === undefined) return undefined;
  const d = datasheet(loadProfile(name), conditions);
  return { ...d, conditions: { ...d.conditions } };
}

/** Options of `emulatorModelStatistics`. */
export interface ModelStatisticsRequest {
  /** Profile name or path. Default `vlsi19-hfo2-256`. */
  profile?: string;
  /** Cells per band. Default 4000. */
  cellsPerBand?: number;
  /** Seed of the measured chip. Default 1. */
  seed?: number;
}

/**
 * The emulator's own statistics per conductance band beside the reference it reproduces
 * (`rram-bench chip characterize-model`): σ of G(t) − G(0) at 1 s and 1 day, read noise, and
 * the time correlation. Loaded lazily: it builds a chip.
 */
export async function emulatorModelStatistics(request: ModelStatisticsRequest = {}) {
  const { modelStatistics } = await import('./emulator/model-statistics.ts');
  const profile = loadProfile(request.profile ?? 'vlsi19-hfo2-256');
  return {
    profile: profile.name,
    source: profile.relaxation.source ?? '',
    readNoise: { ...profile.readNoise },
    bands: modelStatistics(profile, { cellsPerBand: request.cellsPerBand, seed: request.seed }),
  };
}

/**
 * Benchmarks of the driver implementations (registered by src/bench/benchmarks/index.ts),
 * loaded on demand: they pull in the serial stack, which a command on the emulator never needs.
 */
export async function loadDriverBenchmarks(): Promise<{
  emulatorBenchmarks: typeof EmulatorBenchmarks;
  linkBenchmarks: typeof LinkBenchmarks;
}> {
  const [emulator, serial] = await Promise.all([
    import('./emulator/benchmarks.ts'),
    import('./serial/benchmarks.ts'),
  ]);
  return { emulatorBenchmarks: emulator.emulatorBenchmarks, linkBenchmarks: serial.linkBenchmarks };
}

/** The protocol conformance suite (`rram-bench conformance`), run against a board's port. */
export async function runConformance(
  target: ConformanceTarget,
  options?: ConformanceOptions,
): Promise<ConformanceReport> {
  return (await import('./serial/conformance/conformance.ts')).runConformance(target, options);
}
export type { ConformanceReport, ConformanceResult } from './serial/conformance/conformance.ts';
/** Seeded link faults for `serveEmulator`, per direction. */
export type { FaultOptions, LinkFaults } from './serial/faults/faults.ts';

/** A serial port as `rram-bench ports` lists it. */
export type { PortListing } from './serial/transport/list-ports.ts';
/** The serial ports of this machine, with USB vendor/product/serial where known. */
export async function listPorts(): Promise<PortListing[]> {
  return (await import('./serial/transport/list-ports.ts')).listPorts();
}

/** How to serve an emulated board (`rram-bench emulate`). */
export interface ServeEmulatorOptions {
  /** `pty`: a pseudo-terminal pair made by socat; `stdio`: this process's stdin/stdout. */
  transport: 'pty' | 'stdio';
  /** Emulator profile. Default `vlsi19-hfo2-256`. */
  profile?: string;
  /** Seed. Default 1. */
  seed?: number;
  /** Chip state file (loaded if present, saved on close). */
  chipState?: string;
  /** Emulator time. Default wall. */
  clock?: 'wall' | 'virtual';
  /** Throttle the link to this rate (baud, 8N1). Default: unthrottled. */
  baud?: number;
  /** pty: the path to serve on (a symlink). Default: a new temporary directory. */
  path?: string;
  /** Link faults (seeded), per direction. */
  faults?: LinkFaults;
  /** File to append every executed FORM, PROG and PULSE to, one JSON object per line. */
  pulseLog?: string;
}

/** A running emulated board. */
export interface EmulatedBoard {
  /** The chip's identity. */
  info: ChipInfo;
  /** pty: the path a host opens. */
  path?: string;
  /** stdio: resolves when stdin ends. */
  done?: Promise<void>;
  /** Link and firmware counters, for a closing report. */
  counters(): Record<string, unknown>;
  /** Stop serving and close the chip (saving its state when a file was given). */
  close(): Promise<void>;
}

/** Serve an emulated board over a pty or stdio. */
export async function serveEmulator(options: ServeEmulatorOptions): Promise<EmulatedBoard> {
  const chip = await EmulatorDriver.create({
    profile: options.profile,
    seed: options.seed,
    chipState: options.chipState,
    clock: options.clock,
  });
  const log = options.pulseLog === undefined ? undefined : openPulseLog(options.pulseLog);
  const firmware = {
    ...(options.baud !== undefined && { baud: options.baud }),
    ...(log && { firmware: { onPulseLog: log.write } }),
  };
  const stdioFirmware = {
    ...(options.baud !== undefined && { baud: options.baud }),
    ...(log && { onPulseLog: log.write }),
  };
  try {
    if (options.transport === 'stdio') {
      const { serveStdio } = await import('./serial/transport/serve-stdio.ts');
      const server = serveStdio(chip, stdioFirmware);
      return {
        info: chip.info,
        done: server.done,
        counters: () => ({ ...server.firmware.counters }),
        close: async () => {
          await server.close();
          await chip.close();
          log?.close();
        },
      };
    }
    const { startPty } = await import('./serial/transport/start-pty.ts');
    const server = await startPty(chip, {
      ...firmware,
      ...(options.path !== undefined && { path: options.path }),
      ...(options.faults !== undefined && { faults: options.faults }),
    });
    return {
      info: chip.info,
      path: server.path,
      counters: () => ({ ...server.firmware.counters }),
      close: async () => {
        await server.close();
        await chip.close();
        log?.close();
      },
    };
  } catch (e) {
    await chip.close();
    log?.close();
    throw e;
  }
}

/** A pulse log file: one JSON line per executed FORM, PROG or PULSE, written synchronously. */
function openPulseLog(path: string): { write: (e: PulseLogEntry) => void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    throw new BenchError('IO', `cannot open the pulse log ${path}: ${(e as Error).message}`, {
      path,
    });
  }
  return {
    write: (e) => {
      const { line: _line, at, ...rest } = e;
      writeSync(
        fd,
        `${JSON.stringify({ ...rest, at: new Date(at).toISOString(), line: e.line })}\n`,
      );
    },
    close: () => closeSync(fd),
  };
}
