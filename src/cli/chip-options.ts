/**
 * The chip-selection options every chip-facing command shares (chip info, demo, and later run,
 * emulate, conformance), and `withChip`, which opens the chip and always closes it.
 */
import type { OpenChipOptions } from '../../drivers/factory.ts';
import type { ChipDriver } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { TextSink } from './command.ts';
import { numberOption } from './number-option.ts';

/** Profile the emulator uses when `--profile` is not given (the factory's default). */
export const DEFAULT_PROFILE = 'vlsi19-hfo2-256';

/** parseArgs specs of the options that describe an emulated chip (also used by `emulate`). */
export const emulatorOptionSpecs = {
  profile: { type: 'string' },
  seed: { type: 'string' },
  'chip-state': { type: 'string' },
  time: { type: 'string' },
} as const;

/** parseArgs specs of the chip options. */
export const chipOptionSpecs = {
  emulator: { type: 'boolean' },
  ...emulatorOptionSpecs,
  port: { type: 'string' },
  baud: { type: 'string' },
  'link-timeout': { type: 'string' },
  'link-deadline': { type: 'string' },
} as const;

/** Help lines of the emulated-chip options. */
export const emulatorOptionsUsage = `  --profile NAME|FILE  emulator profile: vlsi19-hfo2-256 (default), ideal, harsh, or a JSON path
  --seed N             emulator seed, an integer (default 1)
  --chip-state FILE    load the emulated chip from FILE if it exists, save it there on close
  --time wall|virtual  emulator time: wall (default; relaxation runs in real time) or virtual
                       (chip time advances by each operation's modelled duration: a run
                       repeats to the bit for a seed)`;

/** The chip options' help lines, for a command's usage text. */
export const chipOptionsUsage = `Chip (default: the emulated chip):
  --emulator           use the in-process emulated chip
${emulatorOptionsUsage}
  --port PATH          the test board's serial port, e.g. /dev/ttyUSB0
  --baud B             serial baud rate (default 921600)
  --link-timeout MS    --port: margin of every request's timeout (default 1000)
  --link-deadline S    --port: how long one request may stay unanswered while the board
                       answers (replies lost on a noisy link), resent with backoff, before
                       the run fails (default 120)`;

/** The emulated chip the options describe: profile, seed, state file and clock, validated. */
export function toEmulatorOptions(values: {
  profile?: string;
  seed?: string;
  'chip-state'?: string;
  time?: string;
}): { profile?: string; seed?: number; chipState?: string; clock?: 'wall' | 'virtual' } {
  const seed = numberOption('--seed', values.seed, { integer: true, min: 0, max: 0xffffffff });
  const clock = values.time;
  if (clock !== undefined && clock !== 'wall' && clock !== 'virtual')
    throw usage(`--time must be wall or virtual, not ${clock}`);
  return {
    ...(values.profile !== undefined && { profile: values.profile }),
    ...(seed !== undefined && { seed }),
    ...(values['chip-state'] !== undefined && { chipState: values['chip-state'] }),
    ...(clock !== undefined && { clock }),
  };
}

/** Parsed values of the chip options, as parseArgs returns them. */
export interface ChipOptionValues {
  emulator?: boolean;
  profile?: string;
  seed?: string;
  'chip-state'?: string;
  time?: string;
  port?: string;
  baud?: string;
  'link-timeout'?: string;
  'link-deadline'?: string;
}

/**
 * Validate the chip options and turn them into `openChip` options. Without `--port` the
 * emulator is used; when that was not asked for explicitly, say so on `stderr`.
 */
export function toOpenChipOptions(values: ChipOptionValues, stderr: TextSink): OpenChipOptions {
  // A malformed value is named before any question of which options go together.
  toEmulatorOptions({ seed: values.seed });
  const baud = numberOption('--baud', values.baud, { integer: true, min: 1 });
  const emulatorOnly = (['profile', 'seed', 'chip-state', 'time'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (values.port !== undefined) {
    if (values.emulator) throw usage('--port and --emulator exclude each other');
    if (emulatorOnly.length > 0)
      throw usage(`--${emulatorOnly[0]} applies to the emulator only, not to --port`);
    const timeoutMs = numberOption('--link-timeout', values['link-timeout'], { min: 1 });
    const deadlineS = numberOption('--link-deadline', values['link-deadline'], { min: 0.001 });
    return {
      port: values.port,
      ...(baud !== undefined && { baud }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(deadlineS !== undefined && { deadlineMs: deadlineS * 1000 }),
    };
  }
  if (baud !== undefined) throw usage('--baud applies to --port only');
  for (const o of ['link-timeout', 'link-deadline'] as const)
    if (values[o] !== undefined) throw usage(`--${o} applies to --port only`);
  const emulated = toEmulatorOptions(values);
  const profile = emulated.profile ?? DEFAULT_PROFILE;
  if (!values.emulator)
    stderr.write(`no --port given: using the emulated chip (profile ${profile})\n`);
  return { emulator: true, ...emulated, profile };
}

/** Open the chip, run `fn` with it, and close it whatever happens. */
export async function withChip<T>(
  options: OpenChipOptions,
  fn: (driver: ChipDriver) => Promise<T>,
): Promise<T> {
  // Loaded here: the drivers (tfjs, serialport) are heavy, and --help must not wait for them.
  const { openChip } = await import('../../drivers/factory.ts');
  const driver = await openChip(options);
  let result: T;
  try {
    result = await fn(driver);
  } catch (e) {
    // The first error is the one worth reporting; a failing close must not hide it.
    await driver.close().catch(() => undefined);
    throw e;
  }
  await driver.close();
  return result;
}

function usage(message: string): BenchError {
  return new BenchError('USAGE', message);
}
