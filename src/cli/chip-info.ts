/** `rram-bench chip info`: who the chip is, what it may be asked, and its datasheet figures. */
import type { DatasheetConditions } from '../../drivers/factory.ts';
import type { ChipInfo } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { CliContext, Command } from './command.ts';
import { chipOptionSpecs, chipOptionsUsage, toOpenChipOptions, withChip } from './chip-options.ts';
import { datasheetJson, formatChipInfo, formatDatasheet } from './format-chip-info.ts';
import { numberOption } from './number-option.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  ...chipOptionSpecs,
  json: { type: 'boolean' },
  precision: { type: 'string' },
  clock: { type: 'string' },
  activity: { type: 'string' },
} as const;

const usage = `Usage: rram-bench chip info [chip options] [--json] [--precision B] [--clock HZ] [--activity A]

Open the chip, print its identity, geometry, readout modes, precision range, clock,
conductance window and safe operating area, and the datasheet figures computed from the
chip's physics model.

Options:
  --json               print one JSON object: the chip info plus "datasheet"
  --precision B        datasheet activation precision, bits (default 8)
  --clock HZ           datasheet clock, Hz, e.g. 5e7 (default: the chip's)
  --activity A         datasheet mean input as a fraction of full scale, (0, 1] (default 0.1307, MNIST)
  -h, --help           show this help

${chipOptionsUsage}
`;

/** The `chip info` command. */
export const chipInfo: Command = {
  path: ['chip', 'info'],
  summary: 'identity, limits and datasheet figures of the chip',
  usage,
  run,
};

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('chip info', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  const precisionBits = numberOption('--precision', values.precision, {
    integer: true,
    min: 1,
    max: 8,
  });
  const clockHz = numberOption('--clock', values.clock, { min: 0, exclusiveMin: true });
  const inputActivity = numberOption('--activity', values.activity, {
    min: 0,
    max: 1,
    exclusiveMin: true,
  });
  const open = toOpenChipOptions(values, ctx.stderr);
  const { observe } = await import('../pipeline/observe.ts');
  const { datasheetFor } = await import('../../drivers/factory.ts');
  const info = await withChip(open, (driver) =>
    observe(driver.identify(), { signal: ctx.signal, first: true }),
  );
  if (precisionBits !== undefined) checkPrecision(info, precisionBits);
  const conditions: DatasheetConditions = {
    ...(precisionBits !== undefined && { precisionBits }),
    ...(clockHz !== undefined && { clockHz }),
    ...(inputActivity !== undefined && { inputActivity }),
  };
  const datasheet = datasheetFor(info.model, conditions);
  if (values.json) {
    ctx.stdout.write(
      `${JSON.stringify({ ...info, datasheet: datasheetJson(datasheet) }, null, 2)}\n`,
    );
  } else {
    ctx.stdout.write(`${formatChipInfo(info)}\n${formatDatasheet(info.model, datasheet)}`);
  }
  return 0;
}

function checkPrecision(info: ChipInfo, bits: number): void {
  const { min, max } = info.precisionBits;
  if (bits < min || bits > max)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `--precision ${bits} is outside the chip's ${min}–${max} bit range`,
      {
        option: '--precision',
        value: bits,
      },
    );
}
