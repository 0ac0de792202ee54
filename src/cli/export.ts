/** `rram-bench export RUN --format npy|csv|json --out DIR`: a run's measurements as files. */
import { BenchError } from '../../drivers/driver.ts';
import { exportRun } from '../store/export-run.ts';
import type { ExportFormat } from '../store/export-run.ts';
import { DEFAULT_DB_PATH, Store } from '../store/store.ts';
import type { Command } from './command.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  db: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;
const formats: readonly ExportFormat[] = ['npy', 'csv', 'json'];

const usage = `Usage: rram-bench export RUN --format npy|csv|json --out DIR [--db FILE]

Write a run's measurements (uuid or a unique prefix) to DIR:
  npy   one .npy per array (maps float32 rows×cols; programming results per step; MVM inputs,
        counts uint8 vectors×lines, labels int32) and manifest.json describing each — np.load
  csv   program_cells.csv, maps.csv, mvm.csv, metrics.csv (long tables) — pandas.read_csv
  json  run.json with everything

Options:
  --format F           npy, csv or json
  --out DIR            output directory (created if needed)
  --db FILE            the database (default ${DEFAULT_DB_PATH})
  -h, --help           show this help
`;

/** The `export` command. */
export const exportCommand: Command = {
  path: ['export'],
  summary: "write a run's measurements as .npy, CSV or JSON files",
  usage,
  run(args, ctx) {
    const { values, positionals } = parseCommandArgs('export', args, options, true);
    if (values.help) {
      ctx.stdout.write(usage);
      return Promise.resolve(0);
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
    const reader = Store.openReader(values.db ?? DEFAULT_DB_PATH);
    try {
      const files = exportRun(reader, reader.findRun(positionals[0]!), format, values.out);
      ctx.stdout.write(`${files.join('\n')}\n`);
      ctx.stderr.write(`exported ${files.length} files to ${values.out}\n`);
      return Promise.resolve(0);
    } finally {
      reader.close();
    }
  },
};
