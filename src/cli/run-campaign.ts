/**
 * The implementation of `rram-bench run CAMPAIGN` (src/cli/run.ts, loaded when it runs): validate a campaign file, check it against the chip's limits, and
 * run it into the database — or `--resume RUN` a crashed or aborted run, or `--dry-run` it.
 * Everything that can be refused (file, chip options, limits) is refused before the database
 * is opened, so bad input leaves it untouched.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
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
import type { JobUpdate } from '../ui/job-state.ts';
import { renderJob } from '../ui/render-job.tsx';
import { StoreRecorder } from '../store/store-recorder.ts';
import { chipOptionSpecs, toOpenChipOptions, withChip } from './chip-options.ts';
import type { CliContext } from './command.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';
import { num, si } from './format.ts';
import { freezeSeam } from './freeze-seam.ts';
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
  return withChip(open, async (driver) => {
    const chip = await checked(driver, plan, ctx);
    const store = Store.open(dbPath);
    try {
      announceCrashed(store, ctx);
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
      return await execute(store, runId, uuid, driver, chip, plan, undefined, values, ctx);
    } finally {
      store.close();
    }
  });
}

/** Identify the chip and check the whole plan against it before anything is stored or sent. */
async function checked(driver: ChipDriver, plan: CampaignPlan, ctx: CliContext): Promise<ChipInfo> {
  const chip = await observe(driver.identify(), { signal: ctx.signal, first: true });
  const readout = await observe(driver.readout(), { signal: ctx.signal, first: true });
  dryRun(plan, chip, readout);
  return chip;
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
    `campaign '${plan.name}' is valid for ${report.chip.model} ${report.chip.serial}: ${plan.steps.length} steps\n`,
  );
  for (const s of report.report.steps)
    ctx.stdout.write(
      `  [${s.idx + 1}/${plan.steps.length}] ${s.name.padEnd(20)} ${String(s.units).padStart(5)} units  ≈ ${si(s.estimateS, 's')}\n`,
    );
  ctx.stdout.write(
    `estimated chip time ≈ ${si(report.report.totalS, 's')} (waits included; host time not counted)\n`,
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
  return withChip(open, async (driver) => {
    const chip = await checked(driver, plan, ctx);
    const store = Store.open(dbPath);
    try {
      announceCrashed(store, ctx);
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
        committed: (idx) =>
          store.reader.unitMeasurements(current.id, idx).map((u) => u.measurement),
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
        ctx,
      );
    } finally {
      store.close();
    }
  });
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
  const tui = !values.json && !values['no-tui'] && ctx.stdout.isTTY === true;
  const ui = tui ? showRun(engine, chip) : undefined;
  if (!tui) {
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
  const onAbort = () => engine.abort('interrupted (Ctrl-C)');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let stop: StopRecord;
  try {
    if (ctx.signal.aborted) engine.abort('interrupted (Ctrl-C)');
    stop = await engine.run();
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    // The record stream has completed, so the UI draws its last frame and exits.
    await ui;
  }
  const counts = store.reader.counts(runId);
  if (!values.json)
    ctx.stdout.write(
      `stored in ${store.path}: ${counts.maps} maps, ${num(counts.cells, 9)} programmed cells, ${num(counts.vectors, 9)} MVM vectors (run ${uuid})\n`,
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

/**
 * The run in the terminal UI: records mapped to job updates (sampled by the UI, so a slow
 * terminal never holds up acquisition); q or Ctrl-C aborts the engine (chip left idle, stop
 * record written), p pauses and resumes it between units of work.
 */
function showRun(engine: RunEngine, chip: ChipInfo): Promise<void> {
  const updates = new Subject<JobUpdate>();
  const mapper = new RunUpdates(
    `${chip.model} ${chip.serial}${chip.emulated ? ' (emulated)' : ''}`,
  );
  engine.records.subscribe({
    next: (r) => mapper.updates(r).forEach((u) => updates.next(u)),
    complete: () => updates.complete(),
  });
  return renderJob(updates, {
    onAbort: () => engine.abort('aborted from the terminal (q)'),
    onPauseToggle: () =>
      engine.state === 'paused' || engine.state === 'pausing' ? engine.resume() : engine.pause(),
  });
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
