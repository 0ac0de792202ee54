/**
 * `rram-bench view RUN`: browse a stored run in the dashboard's panels — finished, or running in
 * another process (then re-read every second until it ends). Off a terminal, one frame as text.
 */
import { BenchError } from '../../drivers/driver.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import type { Command } from './command.ts';
import { openRunReader } from './open-run-reader.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = { db: { type: 'string' }, 'no-tui': { type: 'boolean' } } as const;

const usage = `Usage: rram-bench view RUN [--db FILE] [--no-tui]

Show a stored run (uuid or a unique prefix) in the panels of the live dashboard: header, steps
with state, duration and summary, the heat-map of the last maps and programmed cells (v cycles
target / measured / error), the programming-error histogram, metrics and events. A run still
running in another process is re-read every second. q quits.

Options:
  --db FILE            the database (default ${DEFAULT_DB_PATH}; opened read-only)
  --no-tui             print one 80-column frame as text (the default off a terminal)
  -h, --help           show this help
`;

/** How often a running run is re-read (ms). */
const POLL_MS = 1000;

/** The `view` command. */
export const view: Command = {
  path: ['view'],
  summary: 'browse a stored (or running) run in the dashboard',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('view', args, options, true);
    if (values.help) {
      ctx.stdout.write(usage);
      return 0;
    }
    if (positionals.length !== 1)
      throw new BenchError('USAGE', "view needs one RUN (see 'rram-bench runs ls')");
    const reader = await openRunReader(values.db ?? DEFAULT_DB_PATH, ctx.stderr);
    try {
      const [{ storedRunUpdates }, { initialJobState, reduceJob }, rxjs] = await Promise.all([
        import('./stored-run-updates.ts'),
        import('../ui/job-state.ts'),
        import('rxjs'),
      ]);
      const uuid = reader.findRun(positionals[0]!).uuid;
      const read = () =>
        storedRunUpdates(reader, reader.findRun(uuid)).reduce(reduceJob, initialJobState());
      if (values['no-tui'] || ctx.stdout.isTTY !== true) {
        const { renderFrame } = await import('../ui/render-frame.tsx');
        ctx.stdout.write(`${renderFrame(read())}\n`);
        return 0;
      }
      const { renderStates } = await import('../ui/render-job.tsx');
      // Re-read while the run is running; a finished run is drawn once and stays until q.
      const states = rxjs.timer(0, POLL_MS).pipe(
        rxjs.map(read),
        rxjs.takeWhile((s) => s.outcome === undefined, true),
        rxjs.concatWith(rxjs.NEVER),
      );
      await renderStates(states, { now: () => Date.now() });
      return 0;
    } finally {
      reader.close();
    }
  },
};
