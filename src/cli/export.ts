/** `rram-bench export RUN --format npy|csv|json --out DIR`: a run's measurements as files. */
import { BenchError } from '../../drivers/driver.ts';
import type { ExportFormat } from '../store/export-run.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import type { Command } from './command.ts';
import { plural } from './format.ts';
import { openRunReader } from './open-run-reader.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  db: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
} as const;
const formats: readonly ExportFormat[] = ['npy', 'csv', 'json'];

const usage = `Usage: rram-bench export RUN --format npy|csv|json --out DIR [--force] [--db FILE]

Write a run's measurements (uuid or a unique prefix) to DIR:
  npy   one .npy per array (maps float32 rows×cols; programming results per step; MVM inputs,
        counts uint8 vectors×lines, labels int32) and manifest.json describing each — np.load
  csv   program_cells.csv, maps.csv, mvm.csv, metrics.csv (long tables) — pandas.read_csv
  json  run.json with everything
Files are named by step number as 'rram-bench runs show' numbers steps (step001_… is step 1).

Options:
  --format F           npy, csv or json
  --out DIR            output directory (created if needed); a directory holding another
                       run's export is refused
  --force              replace another run's export in DIR (its files are removed first)
  --db FILE            the database (default ${DEFAULT_DB_PATH}; opened read-only)
  -h, --help           show this help
`;

/** The `export` command. */
export const exportCommand: Command = {
  path: ['export'],
  summary: "write a run's measurements as .npy, CSV or JSON files",
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('export', args, options, true);
    if (values.help) {
      ctx.stdout.write(usage);
      return 0;
    }
    if (positionals.length !== 1)
      throw new BenchError('USAGE', "export needs one RUN (see 'rram-bench runs ls')");
    const format = values.format as ExportFormat | undefined;
    if (format === undefined || !formats.includes(format))
      throw new BenchError(
        'USAGE',
        `--format must be one of ${formats.join(', ')}${format ? `, not ${format}` : ''}`,
      );
    if (values.out === undefined) throw new BenchError('USAGE', 'export needs --out DIR');
    const reader = await openRunReader(values.db ?? DEFAULT_DB_PATH, ctx.stderr);
    try {
      const { exportRun, exportOwner, removeExport } = await import('../store/export-run.ts');
      const run = reader.findRun(positionals[0]!);
      const owner = exportOwner(values.out);
      if (owner !== undefined && owner !== run.uuid) {
        if (!values.force)
          throw new BenchError(
            'INVALID_ARGUMENT',
            `${values.out} holds the export of another run (${owner}); choose another --out or give --force to replace it`,
            { path: values.out, run: owner },
          );
        ctx.stderr.write(`replacing the export of run ${owner} in ${values.out}\n`);
      }
      // Files of an earlier export (this run's or, with --force, another's) are removed first,
      // so the directory never mixes two exports.
      if (owner !== undefined) removeExport(values.out);
      const files = exportRun(reader, run, format, values.out);
      ctx.stdout.write(`${files.join('\n')}\n`);
      ctx.stderr.write(`exported ${plural(files.length, 'file')} to ${values.out}\n`);
      return 0;
    } finally {
      reader.close();
    }
  },
};
