/** `rram-bench demo`: the demo job on the chip (the emulator by default), as plain log lines or JSON. */
import type { CliContext, Command } from './command.ts';
import type { LinkCounters } from '../../drivers/driver.ts';
import { chipOptionSpecs, chipOptionsUsage, toOpenChipOptions, withChip } from './chip-options.ts';
import { datasheetJson } from './format-chip-info.ts';
import { formatDemoStep } from './format-demo.ts';
import { parseCommandArgs } from './parse-command-args.ts';
import type { DemoEvent } from '../demo/run-demo.ts';
import type { OpenChipOptions } from '../../drivers/factory.ts';
import { isBenchError } from '../../drivers/driver.ts';
import type { JobUpdate } from '../ui/job-state.ts';

const options = {
  ...chipOptionSpecs,
  json: { type: 'boolean' },
  'no-tui': { type: 'boolean' },
} as const;

const usage = `Usage: rram-bench demo [chip options] [--json]

Run the demo job: identify the chip, form a 64×64 region, write-verify it to a gradient
checkerboard of targets in 1–40 µS (±1 µS), read it back (average of 4), run 256 random
8-bit input vectors through it as MVMs, and print the datasheet figures. One log line per
step with its timing, or on a terminal a live view (q or Ctrl-C aborts). Ctrl-C stops it
and leaves the chip idle (exit 130).

Options:
  --json               print one JSON object with everything measured (log lines go to stderr)
  --no-tui             plain log lines even on a terminal (the default off a terminal)
  -h, --help           show this help

${chipOptionsUsage}
`;

/** The `demo` command. */
export const demo: Command = {
  path: ['demo'],
  summary: 'form, program, read back and multiply on the chip; print what came out',
  usage,
  run,
};

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('demo', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  const open = toOpenChipOptions(values, ctx.stderr);
  const { observe } = await import('../pipeline/observe.ts');
  const { runDemo } = await import('../demo/run-demo.ts');
  const log = values.json ? ctx.stderr : ctx.stdout;
  const tui = !values.json && !values['no-tui'] && ctx.stdout.isTTY === true;
  let link: LinkCounters | undefined;
  const last = tui
    ? await runWithTui(open, ctx)
    : await withChip(open, async (driver) => {
        const end = await observe(runDemo(driver, { seed: open.seed ?? 1 }), {
          signal: ctx.signal,
          next: (e: DemoEvent) => {
            if (e.kind === 'step')
              log.write(`${formatDemoStep(e.step, e.index, e.total, e.ms, e.report)}\n`);
          },
        });
        link = driver.linkCounters?.();
        return end;
      });
  if (last.kind !== 'done') throw new Error('demo ended without a report');
  if (values.json) {
    const report = {
      ...last.report,
      datasheet: datasheetJson(last.report.datasheet),
      // Over a serial port: the host's link counters (retries, bad lines, reconnects…).
      ...(link && { link }),
    };
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    ctx.stdout.write('demo finished\n');
  }
  return 0;
}

/** The demo behind the terminal UI: q or Ctrl-C aborts it; the UI draws the last state and exits. */
async function runWithTui(open: OpenChipOptions, ctx: CliContext): Promise<DemoEvent> {
  const [{ Subject }, { observe }, { runDemo }, { renderJob }, { demoJobStart, demoJobUpdates }] =
    await Promise.all([
      import('rxjs'),
      import('../pipeline/observe.ts'),
      import('../demo/run-demo.ts'),
      import('../ui/render-job.tsx'),
      import('./demo-updates.ts'),
    ]);
  const updates = new Subject<JobUpdate>();
  const local = new AbortController();
  const signal = AbortSignal.any([ctx.signal, local.signal]);
  const ui = renderJob(updates, { onAbort: () => local.abort() });
  const label = open.port ?? `emulated ${open.profile ?? 'chip'}, seed ${open.seed ?? 1}`;
  demoJobStart(label).forEach((u) => updates.next(u));
  try {
    const last = await withChip(open, (driver) =>
      observe(runDemo(driver, { seed: open.seed ?? 1 }), {
        signal,
        next: (e: DemoEvent) => demoJobUpdates(e).forEach((u) => updates.next(u)),
      }),
    );
    updates.next({ kind: 'finished', outcome: 'completed' });
    return last;
  } catch (e) {
    const aborted = isBenchError(e, 'ABORTED');
    updates.next({
      kind: 'finished',
      outcome: aborted ? 'aborted' : 'failed',
      message: (e as Error).message,
    });
    throw e;
  } finally {
    updates.complete();
    await ui;
  }
}
