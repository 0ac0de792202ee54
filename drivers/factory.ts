/**
 * The one way `src/` obtains a ChipDriver: by options, never by importing an implementation.
 * Serial ports arrive with the wire protocol (issue 3); until then `--port` is refused clearly.
 */
import type { ChipDriver } from './driver.ts';
import { BenchError } from './driver.ts';
import { datasheet } from './emulator/energy.ts';
import { EmulatorDriver } from './emulator/emulator-driver.ts';
import { listProfiles, loadProfile } from './emulator/profile.ts';

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
}

/** Open a chip driver. */
export async function openChip(options: OpenChipOptions): Promise<ChipDriver> {
  if (options.port !== undefined) {
    if (options.emulator)
      throw new BenchError('USAGE', 'give either --port or --emulator, not both');
    throw new BenchError(
      'UNSUPPORTED',
      `cannot open ${options.port}: serial boards are not supported yet`,
      {
        port: options.port,
      },
    );
  }
  return EmulatorDriver.create({
    profile: options.profile,
    seed: options.seed,
    chipState: options.chipState,
    clock: options.clock,
  });
}

/** Datasheet conditions: what the figures are computed for. */
export interface DatasheetConditions {
  /** Activation precision (bits). Default 8. */
  precisionBits?: number;
  /** Clock (Hz). Default: the profile's. */
  clockHz?: number;
  /** Mean input as a fraction of full scale (0–1]. Default 0.5. */
  inputActivity?: number;
}

/** Figures computed from a chip model. */
export interface Datasheet {
  /** Macro energy per MAC (pJ) at the conditions. */
  pjPerMac: number;
  /** Macro average power (mW) at the conditions. */
  powerMw: number;
  /** Spike-conversion readout throughput at 8-bit (GOPS) at the conditions' clock. */
  gops8bit: number;
  /** Spike-conversion readout latency at 8-bit (ns) at the conditions' clock. */
  latencyNs8bit: number;
  /** Readout throughput at the conditions' precision (GOPS). */
  gops: number;
  /** Readout latency at the conditions' precision (ns). */
  latencyNs: number;
  /** Full-array MVMs per second at the conditions. */
  mvmPerS: number;
  /** The conditions the figures hold for, with defaults filled in. */
  conditions: Required<DatasheetConditions>;
}

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
