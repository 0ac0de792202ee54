/**
 * `rram-bench emulate`: serve the emulated chip as a test board, over a pseudo-terminal pair
 * (another process — rram-bench, picocom, a firmware author's script — opens the printed path
 * through the operating system's serial layer) or on stdin/stdout. Optional seeded link faults.
 */
import type { FaultOptions } from '../../drivers/factory.ts';
import type { CliContext, Command } from './command.ts';
import { emulatorOptionSpecs, emulatorOptionsUsage, toEmulatorOptions } from './chip-options.ts';
import { numberOption } from './number-option.ts';
import { parseCommandArgs } from './parse-command-args.ts';
import { BenchError } from '../../drivers/driver.ts';

const options = {
  pty: { type: 'boolean' },
  stdio: { type: 'boolean' },
  path: { type: 'string' },
  ...emulatorOptionSpecs,
  baud: { type: 'string' },
  'fault-seed': { type: 'string' },
  'fault-corrupt': { type: 'string' },
  'fault-drop': { type: 'string' },
  'fault-dup': { type: 'string' },
  'fault-delay': { type: 'string' },
  'fault-jitter': { type: 'string' },
  'fault-unplug-after': { type: 'string' },
  'fault-replug-ms': { type: 'string' },
  'pulse-log': { type: 'string' },
} as const;

const usage = `Usage: rram-bench emulate (--pty [--path P] | --stdio) [options]

Serve the emulated chip as a test board speaking docs/protocol.md. With --pty, socat makes a
pseudo-terminal pair; the path to open is printed, e.g. for
  rram-bench chip info --port PATH      or      picocom -b 921600 PATH
With --stdio the board talks on this process's stdin/stdout (type *IDN? and Enter). Runs until
Ctrl-C (or, with --stdio, until stdin ends); the chip state is saved on exit with --chip-state.

Options:
  --pty                serve on a pseudo-terminal pair (needs socat: apt-get install socat)
  --path P             --pty: the path to create (a symlink; default in a new temp directory)
  --stdio              serve on stdin/stdout
${emulatorOptionsUsage}
  --baud B             throttle the link to B baud, 8N1 (default: as fast as the pty)
  --pulse-log FILE     append every FORM, PROG and PULSE the board executes to FILE, one JSON
                       object per line (seq, verb, cells and pulses per cell, chip time, the
                       request line): retries answered from the reply cache do not appear
Link faults (seeded; on both directions unless noted):
  --fault-seed N             seed of the faults (default 1)
  --fault-corrupt P          probability per byte of a flipped bit, e.g. 1e-4
  --fault-drop P             probability per line of losing it
  --fault-dup P              probability per line of delivering it twice
  --fault-delay MS           delay per line
  --fault-jitter MS          extra random delay per line, up to MS
  --fault-unplug-after N     --pty: unplug after N bytes from the board, once
  --fault-replug-ms MS       --pty: replug after MS (default 500)
  -h, --help           show this help
`;

/** The `emulate` command. */
export const emulate: Command = {
  path: ['emulate'],
  summary: 'serve the emulated chip as a test board on a pty or stdio',
  usage,
  run,
};

function faultOptions(values: Record<string, string | boolean | undefined>):
  | {
      toBoard?: FaultOptions;
      toHost?: FaultOptions;
    }
  | undefined {
  const n = (name: string, rules: Parameters<typeof numberOption>[2]) =>
    numberOption(`--${name}`, values[name] as string | undefined, rules);
  const p = { min: 0, max: 1 };
  const both: FaultOptions = {
    seed: n('fault-seed', { integer: true, min: 0 }),
    corruptRate: n('fault-corrupt', p),
    dropLineRate: n('fault-drop', p),
    duplicateLineRate: n('fault-dup', p),
    delayMs: n('fault-delay', { min: 0 }),
    jitterMs: n('fault-jitter', { min: 0 }),
  };
  const unplug = n('fault-unplug-after', { integer: true, min: 1 });
  const replug = n('fault-replug-ms', { min: 0 });
  const clean = (o: FaultOptions) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as FaultOptions;
  const shared = clean(both);
  const toHost = clean({ ...shared, unplugAfterBytes: unplug, replugAfterMs: replug });
  const any = Object.keys(toHost).some((k) => k !== 'seed');
  if (!any) return undefined;
  // Different seeds per direction, so the two fault sequences are independent.
  return { toBoard: { ...shared, seed: (shared.seed ?? 1) + 1 }, toHost };
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('emulate', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  if (values.pty === values.stdio)
    throw new BenchError('USAGE', 'give exactly one of --pty or --stdio');
  const emulated = toEmulatorOptions(values);
  const faults = faultOptions(values);
  if (values.stdio && (faults || values.path !== undefined))
    throw new BenchError('USAGE', '--path and link faults apply to --pty only');
  const { serveEmulator } = await import('../../drivers/factory.ts');
  const board = await serveEmulator({
    transport: values.stdio ? 'stdio' : 'pty',
    ...emulated,
    baud: numberOption('--baud', values.baud, { integer: true, min: 1 }),
    path: values.path,
    faults,
    pulseLog: values['pulse-log'],
  });
  // With --stdio, stdout is the link: everything human goes to stderr.
  const say = values.stdio ? ctx.stderr : ctx.stdout;
  const { info } = board;
  say.write(
    `serving ${info.model} ${info.serial} (emulated, protocol ${info.protocolVersion})` +
      (board.path ? ` on ${board.path}\n` : ' on stdin/stdout\n'),
  );
  if (board.path)
    say.write(`connect: rram-bench chip info --port ${board.path}   (Ctrl-C stops the board)\n`);
  const stopped = new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.race([stopped, ...(board.done ? [board.done] : [])]);
  await board.close();
  ctx.stderr.write(`board stopped: ${JSON.stringify(board.counters())}\n`);
  return 0;
}
