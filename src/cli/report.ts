/**
 * `rram-bench report RUN --out FILE` and `report --compare RUN1 RUN2 … --out FILE`: a run's
 * pictures as one self-contained HTML file (src/report/). The store, vega, vega-lite and resvg
 * load inside the command, so `rram-bench --help` never pays for them.
 */
import { writeFileSync } from 'node:fs';
import { BenchError } from '../../drivers/driver.ts';
import type { Command } from './command.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import { openRunReader } from './open-run-reader.ts';
import { parseCommandArgs } from './parse-command-args.ts';
import { SOFTWARE_VERSION } from './software-version.ts';

const DEFAULT_DB = DEFAULT_DB_PATH;

const options = {
  db: { type: 'string' },
  out: { type: 'string' },
  png: { type: 'string' },
  compare: { type: 'boolean' },
} as const;

const usage = `Usage: rram-bench report RUN --out FILE [--db FILE] [--png DIR]
       rram-bench report --compare RUN1 RUN2 ... --out FILE [--db FILE] [--png DIR]

Write one self-contained HTML file (inline SVG, no scripts, opens with no network) with the
pictures of what a run measured: conductance heat-maps (target, measured, error, µS), programming
error and pulses-per-cell histograms, IFC transfer curves per readout setting, relaxation and
retention per conductance band, read noise against conductance, accuracy per closed-loop stage,
for a sweep accuracy against energy and latency per inference with the Pareto front, and the
run's metadata (chip, profile or port, campaign text, software version, timings, link counters,
events). RUN is a uuid or a unique prefix of one (see 'rram-bench runs ls'). The database is only
read: a file in a read-only directory works.

Options:
  --out FILE           the HTML file to write
  --compare            overlay the same figures for every RUN given (chips, profiles, days)
  --png DIR            also write each figure as DIR/<figure>.png (for slides)
  --db FILE            the database (default ${DEFAULT_DB})
  -h, --help           show this help
`;

/** The `report` command. */
export const report: Command = {
  path: ['report'],
  summary: "a run's pictures as one self-contained HTML file; --compare overlays runs",
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('report', args, options, true);
    if (values.help) {
      ctx.stdout.write(usage);
      return 0;
    }
    if (values.compare ? positionals.length < 2 : positionals.length !== 1)
      throw new BenchError(
        'USAGE',
        values.compare
          ? 'report --compare needs at least two RUNs'
          : "report needs one RUN (or --compare RUN1 RUN2 ...; see 'rram-bench runs ls')",
      );
    if (values.out === undefined) throw new BenchError('USAGE', 'report needs --out FILE');
    const { buildReport } = await import('../report/build-report.ts');
    // Read-only; a database in a directory we cannot write is read as an in-memory snapshot.
    const reader = await openRunReader(values.db ?? DEFAULT_DB, ctx.stderr);
    try {
      const runs = positionals.map((p) => reader.findRun(p));
      const t0 = performance.now();
      const built = await buildReport(reader, runs, {
        softwareVersion: SOFTWARE_VERSION,
        ...(values.png !== undefined && { pngDir: values.png }),
      });
      try {
        writeFileSync(values.out, built.html);
      } catch (e) {
        throw new BenchError('IO', `cannot write ${values.out}: ${(e as Error).message}`, {
          path: values.out,
        });
      }
      for (const p of built.pngs) ctx.stdout.write(`${p}\n`);
      ctx.stdout.write(`${values.out}\n`);
      ctx.stderr.write(
        `report of ${runs.map((r) => r.uuid.slice(0, 8)).join(', ')}: ${built.figures.length} figures, ${(built.html.length / 1024).toFixed(0)} KiB, ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
      );
      return 0;
    } finally {
      reader.close();
    }
  },
};
