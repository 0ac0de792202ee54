/**
 * The implementation of `rram-bench run CAMPAIGN` (src/cli/run.ts, loaded when it runs): validate a campaign file, check it against the chip's limits, and
 * run it into the database — or `--resume RUN` a crashed or aborted run, or `--dry-run` it.
 * Everything that can be refused (file, chip options, limits) is refused before the database
 * is opened, so bad input leaves it untouched.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { BenchErrorCode, ChipDriver, ChipInfo } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { OpenChipOptions } from '../../drivers/factory.ts';
import { dryRun } from '../campaign/dry-run.ts';
import { parseCampaign } from '../campaign/parse-campaign.ts';
import type { CampaignPlan } from '../campaign/parse-campaign.ts';
import { RunEngine } from '../campaign/run-engine.ts';
import type { ResumeFrom } from '../campaign/run-engine.ts';
import type { StopRecord } from '../campaign/run-record.ts';
import { stepRunner, stepSeed } from '../campaign/steps/step-runners.ts';
import { observe } from '../pipeline/observe.ts';
import { exportRun } from '../store/export-run.ts';
import type { RunRow } from '../store/run-reader.ts';
import { DEFAULT_DB_PATH, Store } from '../store/store.ts';
import { StoreRecorder } from '../store/store-recorder.ts';
import { chipOptionSpecs, toOpenChipOptions, withChip } from './chip-options.ts';
import type { CliContext } from './command.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { duration, plural, table } from './format.ts';
import type { RunScreen } from './run-screen.ts';
import { freezeSeam } from './freeze-seam.ts';
import { closedLoopSummary, formatClosedLoop } from './closed-loop-summary.ts';
import { RunLineFormatter, recordJson } from './format-run-record.ts';
import { parseCommandArgs } from './parse-command-args.ts';
import { RunUpdates } from './run-updates.ts';
import { options, usage } from './run.ts';
import { SOFTWARE_VERSION } from './software-version.ts';

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

/** `rram-bench run`, loaded when it runs. */
export async function runCampaign(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', args, options, true);
  if (values.help) {
    ctx.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1)
    throw new BenchError('USAGE', `run takes one campaign file, got ${positionals.length}`);
  const file = positionals[0];
  if ((file === undefined) === (values.resume === undefined))
    throw new BenchError(
      'USAGE',
      "give a campaign file or --resume RUN (see 'rram-bench run --help')",
    );
  if (values.resume !== undefined && values['dry-run'])
    throw new BenchError('USAGE', '--dry-run applies to a campaign file, not to --resume');
  const dbPath = values.db ?? DEFAULT_DB_PATH;
  if (values.resume !== undefined) return resumeRun(values.resume, dbPath, values, ctx);

  let text: string;
  try {
    text = readFileSync(file!, 'utf8');
  } catch (e) {
    throw new BenchError(
      'INVALID_ARGUMENT',
      `cannot read campaign ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { file },
    );
  }
  const plan = parseCampaign(text, file!);
  const open = toOpenChipOptions(values, ctx.stderr);
  if (values['dry-run']) return dryRunCommand(plan, open, ctx, !!values.json);
  if (values.db === undefined) ctx.stderr.write(`no --db given: storing in ${DEFAULT_DB_PATH}\n`);
  return withRunChip(plan, open, dbPath, values, ctx, async (a) => {
    const { store, driver, chip, sctx, screen, estimatesS } = a;
    const uuid = randomUUID();
    const runId = store.createRun(
      {
        uuid,
        campaignName: plan.name,
        campaignText: plan.text,
        campaignPath: file,
        chipId: store.upsertChip(chip, open.profile),
        connection: open.port !== undefined ? 'serial' : 'emulator',
        port: open.port,
        profile: open.profile,
        seed: open.seed ?? 1,
        clock: open.clock ?? 'wall',
        chipState: open.chipState,
        softwareVersion: SOFTWARE_VERSION,
      },
      plan.steps.map((p) => ({
        idx: p.idx,
        kind: p.step.kind,
        name: p.name,
        params: p.step,
        units: stepRunner(p, stepSeed(plan.seed, p.idx)).units,
      })),
    );
    return await execute(
      store,
      runId,
      uuid,
      driver,
      chip,
      plan,
      undefined,
      values,
      sctx,
      screen,
      estimatesS,
    );
  });
}

/** Identify the chip and check the whole plan against it before anything is stored or sent. */
async function checked(
  driver: ChipDriver,
  plan: CampaignPlan,
  ctx: CliContext,
): Promise<{ chip: ChipInfo; estimatesS: number[] }> {
  const chip = await observe(driver.identify(), { signal: ctx.signal, first: true });
  const readout = await observe(driver.readout(), { signal: ctx.signal, first: true });
  const report = dryRun(plan, chip, readout);
  return { chip, estimatesS: report.steps.map((s) => s.estimateS) };
}

/** Whether the run is shown in the dashboard: on a terminal, unless --no-tui or --json. */
function wantsTui(values: Values, ctx: CliContext): boolean {
  return !values.json && !values['no-tui'] && ctx.stdout.isTTY === true;
}

/** The dashboard, drawn at once (before the chip is opened) when the run is shown in one. */
async function openScreen(
  campaign: string,
  steps: string[],
  open: OpenChipOptions,
  values: Values,
  ctx: CliContext,
): Promise<RunScreen | undefined> {
  if (!wantsTui(values, ctx)) return undefined;
  const { RunScreen } = await import('./run-screen.ts');
  return new RunScreen(`rram-bench run: ${campaign}`, steps, {
    campaign,
    connection: connectionText(open),
  });
}

/** `emulator vlsi19-hfo2-256, seed 1, wall time` or the port. */
function connectionText(open: OpenChipOptions): string {
  return open.port !== undefined
    ? `port ${open.port}`
    : `emulator ${open.profile ?? 'vlsi19-hfo2-256'}, seed ${open.seed ?? 1}, ${open.clock ?? 'wall'} time`;
}

/**
 * Run `fn` with the dashboard (if any) able to abort its start-up; a failure before the run
 * started is shown on the dashboard before it closes.
 */
async function onScreen(
  screen: RunScreen | undefined,
  ctx: CliContext,
  fn: (ctx: CliContext) => Promise<number>,
): Promise<number> {
  if (!screen) return fn(ctx);
  const sctx = { ...ctx, signal: AbortSignal.any([ctx.signal, screen.startup.signal]) };
  try {
    return await fn(sctx);
  } catch (e) {
    await screen.close(e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    await screen.close();
  }
}

async function dryRunCommand(
  plan: CampaignPlan,
  open: OpenChipOptions,
  ctx: CliContext,
  json: boolean,
): Promise<number> {
  const report = await withChip(open, async (driver) => {
    const chip = await observe(driver.identify(), { signal: ctx.signal, first: true });
    const readout = await observe(driver.readout(), { signal: ctx.signal, first: true });
    return { chip, report: dryRun(plan, chip, readout) };
  });
  if (json) {
    ctx.stdout.write(
      `${JSON.stringify({ campaign: plan.name, valid: true, chip: { model: report.chip.model, serial: report.chip.serial }, ...report.report })}\n`,
    );
    return 0;
  }
  ctx.stdout.write(
    `campaign '${plan.name}' is valid for ${report.chip.model} ${report.chip.serial}: ${plural(plan.steps.length, 'step')}\n`,
  );
  const rows = report.report.steps.map((s) => [
    String(s.idx + 1),
    s.name,
    plural(s.units, 'unit'),
    `≈ ${duration(s.estimateS)}`,
  ]);
  const body = table(['#', 'step', 'work', 'chip time'], rows, [0, 2, 3]);
  ctx.stdout.write(`${body.replace(/^/gm, '  ')}\n`);
  ctx.stdout.write(
    `estimated chip time ≈ ${duration(report.report.totalS)} (waits included; host time not counted)\n`,
  );
  return 0;
}

async function resumeRun(
  ref: string,
  dbPath: string,
  values: Values,
  ctx: CliContext,
): Promise<number> {
  const given = (Object.keys(chipOptionSpecs) as (keyof typeof chipOptionSpecs)[]).filter(
    (k) => values[k] !== undefined,
  );
  if (given.length > 0)
    throw new BenchError(
      'USAGE',
      `--resume takes the chip options stored with the run; drop --${given[0]}`,
    );
  // Reading the run needs the file to exist; it is never created here.
  const reader = Store.openReader(dbPath);
  let row: RunRow;
  try {
    row = reader.findRun(ref);
  } finally {
    reader.close();
  }
  if (row.status === 'completed')
    throw new BenchError('INVALID_ARGUMENT', `run ${row.uuid} is completed: nothing to resume`, {
      run: row.uuid,
    });
  const plan = parseCampaign(row.campaign_text, row.campaign_path ?? `run ${row.uuid}`);
  const open: OpenChipOptions =
    row.connection === 'serial'
      ? { port: row.port! }
      : {
          emulator: true,
          ...(row.profile && { profile: row.profile }),
          ...(row.seed !== null && { seed: row.seed }),
          ...(row.clock && { clock: row.clock as 'wall' | 'virtual' }),
          ...(row.chip_state && { chipState: row.chip_state }),
        };
  return withRunChip(plan, open, dbPath, values, ctx, async (a) => {
    const { store, driver, chip, sctx, screen, estimatesS } = a;
    const current = store.reader.findRun(row.uuid);
    if (current.status === 'running')
      throw new BenchError(
        'INVALID_ARGUMENT',
        `run ${row.uuid} is running (pid ${current.pid} on ${current.host})`,
        { run: row.uuid },
      );
    if (chip.serial !== current.chip_serial || chip.model !== current.chip_model)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `run ${row.uuid} ran on ${current.chip_model} ${current.chip_serial}, this chip is ${chip.model} ${chip.serial}`,
        { run: row.uuid },
      );
    // An emulated chip lost its state with the process: re-derive it by replaying committed
    // work (bit-identical in virtual time). A board keeps its conductances, and so does an
    // emulated chip whose state file was saved when an abort closed it cleanly.
    const replay =
      current.connection === 'emulator' && !(current.chip_state && current.status === 'aborted');
    const steps = store.reader.steps(current.id);
    const resume: ResumeFrom = {
      replay,
      steps: new Map(
        steps.map((s) => [
          s.idx,
          { completed: s.status === 'completed', checkpoint: s.checkpoint },
        ]),
      ),
      committed: (idx) => store.reader.unitMeasurements(current.id, idx).map((u) => u.measurement),
    };
    store.resumeRun(
      current.id,
      `resumed from status ${current.status}${replay ? ' (replaying committed work on the emulated chip)' : ''}`,
    );
    return await execute(
      store,
      current.id,
      current.uuid,
      driver,
      chip,
      plan,
      resume,
      values,
      sctx,
      screen,
      estimatesS,
    );
  });
}

/** What a new run and a resumed run both work in: the chip checked against the plan, the store open. */
interface RunChip {
  store: Store;
  driver: ChipDriver;
  chip: ChipInfo;
  sctx: CliContext;
  screen: RunScreen | undefined;
  estimatesS: Awaited<ReturnType<typeof checked>>['estimatesS'];
}

/**
 * The dashboard (when on a TTY), then the chip opened and the whole plan checked against it,
 * then the store opened (crashed runs announced): `body` runs inside all three, which close in
 * reverse order whatever it does.
 */
async function withRunChip(
  plan: CampaignPlan,
  open: OpenChipOptions,
  dbPath: string,
  values: Values,
  ctx: CliContext,
  body: (a: RunChip) => Promise<number>,
): Promise<number> {
  const screen = await openScreen(
    plan.name,
    plan.steps.map((p) => p.name),
    open,
    values,
    ctx,
  );
  return onScreen(screen, ctx, (sctx) =>
    withChip(open, async (driver) => {
      const { chip, estimatesS } = await checked(driver, plan, sctx);
      const store = Store.open(dbPath);
      try {
        announceCrashed(store, ctx);
        return await body({ store, driver, chip, sctx, screen, estimatesS });
      } finally {
        store.close();
      }
    }),
  );
}

function announceCrashed(store: Store, ctx: CliContext): void {
  for (const uuid of store.crashed)
    ctx.stderr.write(
      `run ${uuid} was left running by a process that is gone: marked crashed (continue it with --resume ${uuid})\n`,
    );
}

async function execute(
  store: Store,
  runId: number,
  uuid: string,
  driver: ChipDriver,
  chip: ChipInfo,
  plan: CampaignPlan,
  resume: ResumeFrom | undefined,
  values: Values,
  ctx: CliContext,
  screen: RunScreen | undefined,
  estimatesS: number[],
): Promise<number> {
  const engine = new RunEngine({
    driver,
    chip,
    plan,
    runUuid: uuid,
    recorder: new StoreRecorder(store, runId),
    ...(resume && { resume }),
    exportRun: (format, out) =>
      Promise.resolve(exportRun(store.reader, store.reader.findRun(uuid), format, out)),
  });
  const chipText = `${chip.model} ${chip.serial}${chip.emulated ? ' (emulated)' : ''}`;
  if (screen) {
    // The dashboard samples the record stream, so a slow terminal never holds up acquisition.
    const row = store.reader.findRun(uuid);
    screen.attach(
      engine,
      new RunUpdates(chipText, {
        header: {
          chip: chipText,
          connection:
            row.connection === 'serial'
              ? `port ${row.port}`
              : `emulator ${row.profile}, seed ${row.seed}, ${row.clock} time`,
        },
        estimatesS,
      }),
    );
  } else {
    const lines = new RunLineFormatter();
    const freeze = freezeSeam();
    engine.records.subscribe((r) => {
      if (values.json) ctx.stdout.write(`${recordJson(r)}\n`);
      else {
        const line = lines.line(r);
        if (line !== null) {
          ctx.stdout.write(`${line}\n`);
          freeze(line);
        }
      }
    });
  }
  // Off the dashboard, Ctrl-C (SIGINT) aborts; on it, Ctrl-C is a key (once pauses, twice aborts).
  const onAbort = () => engine.abort('interrupted (Ctrl-C)');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let stop: StopRecord;
  try {
    if (ctx.signal.aborted) engine.abort(screen?.abortReason ?? 'interrupted (Ctrl-C)');
    stop = await engine.run();
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    // The record stream has completed, so the dashboard draws its last frame and exits.
    await screen?.close();
  }
  const loop = closedLoopSummary(store.reader, runId);
  if (loop)
    ctx.stdout.write(
      values.json
        ? `${JSON.stringify({ type: 'result', runUuid: uuid, status: stop.status, ...loop })}\n`
        : formatClosedLoop(loop),
    );
  const counts = store.reader.counts(runId);
  if (!values.json)
    ctx.stdout.write(
      `stored in ${store.path}: ${plural(counts.maps, 'map')}, ${plural(counts.cells, 'programmed cell')}, ${plural(counts.vectors, 'MVM vector')} (run ${uuid})\n`,
    );
  if (stop.status === 'completed') return ExitCode.OK;
  if (stop.status === 'aborted') return ExitCode.ABORTED;
  ctx.stderr.write(
    `rram-bench: error [${stop.code ?? 'UNEXPECTED'}]: ${stop.reason} (continue with --resume ${uuid})\n`,
  );
  const code = stop.code;
  return code && code !== 'UNEXPECTED' && code in codeSet
    ? exitCodeFor(code as BenchErrorCode)
    : ExitCode.FAILURE;
}

const codeSet: Record<BenchErrorCode, 1> = {
  LIMIT: 1,
  INVALID_ARGUMENT: 1,
  PROFILE_INVALID: 1,
  STATE_INVALID: 1,
  ABORTED: 1,
  CLOSED: 1,
  TIMEOUT: 1,
  DISCONNECTED: 1,
  PROTOCOL: 1,
  DEVICE: 1,
  UNSUPPORTED: 1,
  IO: 1,
  USAGE: 1,
};
