/**
 * `rram-bench chip characterize-model`: the emulator's own noise statistics per conductance band
 * beside the reference it is built to reproduce (aihwkit's ReRamWan2022 model with its
 * recommended read noise), so anyone can see the fit. docs/physics.md explains the columns.
 */
import { BenchError } from '../../drivers/driver.ts';
import type { CliContext, Command } from './command.ts';
import { numberOption } from './number-option.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  profile: { type: 'string' },
  cells: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const usage = `Usage: rram-bench chip characterize-model [--profile NAME|FILE] [--cells N] [--seed N] [--json]

Measure the emulated chip's own statistics per conductance band — σ of G(t) − G(0) at 1 s and
1 day after a write, the σ of one read, and how one cell's G(1 s) and G(1 day) correlate — and
print them beside the reference: aihwkit's ReRamWan2022NoiseModel (Wan et al., Nature 2022;
clamped at 0 µS) with read noise √((1%·G)² + (0.4 µS)²), and for the spread of
G(1 day) − G(1 s) the diffusive law √(σ1d² − σ1s²).

Options:
  --profile NAME|FILE  emulator profile (default vlsi19-hfo2-256)
  --cells N            cells per band, 100–10000 (default 4000: σ to ±1.1%)
  --seed N             seed of the measured chip (default 1)
  --json               print one JSON object instead of the table
  -h, --help           show this help
`;

/** The `chip characterize-model` command. */
export const characterizeModel: Command = {
  path: ['chip', 'characterize-model'],
  summary: "the emulator's noise statistics per band beside the published reference",
  usage,
  run,
};

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('chip characterize-model', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  const cellsPerBand = numberOption('--cells', values.cells, {
    integer: true,
    min: 100,
    max: 10000,
  });
  const seed = numberOption('--seed', values.seed, { integer: true });
  // Heavy: builds an emulated chip (the factory pulls in the emulator and its kernel).
  const { emulatorModelStatistics } = await import('../../drivers/factory.ts');
  const stats = await emulatorModelStatistics({ profile: values.profile, cellsPerBand, seed });
  if (stats.bands.length === 0)
    throw new BenchError('INVALID_ARGUMENT', 'no bands to measure', { profile: stats.profile });
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    return 0;
  }
  const f = (x: number) => x.toFixed(2);
  const rows = [
    [
      'band',
      'cells',
      'σ 1 s emu',
      'σ 1 s ref',
      'σ 1 day emu',
      'σ 1 day ref',
      'read σ emu',
      'read σ ref',
      'G(1d)−G(1s) emu',
      'diffusive',
      'ρ(1s,1d)',
    ],
    ...stats.bands.map((b) => [
      b.label,
      String(b.cells),
      f(b.sigma1s.model),
      f(b.sigma1s.reference),
      f(b.sigma1d.model),
      f(b.sigma1d.reference),
      f(b.readNoise.model),
      f(b.readNoise.reference),
      f(b.drift.model),
      f(b.drift.diffusive),
      b.correlation.toFixed(3),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  ctx.stdout.write(
    `Emulator model statistics, profile ${stats.profile} (µS; emu = measured on the emulator, ref = reference)\n` +
      `Reference: ${stats.source || 'the profile'}; read noise √((${stats.readNoise.relative}·G)² + ${stats.readNoise.additiveMicroS}²)\n\n` +
      `${rows.map(line).join('\n')}\n\n` +
      `σ: of G(t) − G(0), cells spread uniformly over the band, written at one instant, no read noise.\n` +
      `G(1d)−G(1s): spread of one cell's change between 1 s and 1 day; diffusive = √(σ1d² − σ1s²)\n` +
      `of the reference (independent increments); ρ: correlation of G(1 s) − G(0) and G(1 day) − G(0).\n`,
  );
  return 0;
}
