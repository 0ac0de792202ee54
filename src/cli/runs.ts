/** `rram-bench runs ls` and `runs show RUN`: what the database holds. */
import { BenchError } from '../../drivers/driver.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import { openRunReader } from './open-run-reader.ts';
import type { CliContext, Command } from './command.ts';
import { num, table } from './format.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = { db: { type: 'string' }, json: { type: 'boolean' } } as const;

const lsUsage = `Usage: rram-bench runs ls [--db FILE] [--json]

List the runs in the database (default ${DEFAULT_DB_PATH}), oldest first: uuid, campaign,
status (running, completed, failed, aborted, crashed), chip, start and end.

Options:
  --db FILE            the database
  --json               print a JSON array
  -h, --help           show this help
`;

const showUsage = `Usage: rram-bench runs show RUN [--db FILE] [--json]

Show one run (uuid or a unique prefix): its status and exit reason, chip, steps with their
checkpoints and summaries, metrics, and events.

Options:
  --db FILE            the database
  --json               print one JSON object
  -h, --help           show this help
`;

/** The `runs ls` command. */
export const runsLs: Command = {
  path: ['runs', 'ls'],
  summary: 'list the runs in the database',
  usage: lsUsage,
  async run(args, ctx) {
    const { values } = parseCommandArgs('runs ls', args, options);
    if (values.help) return done(ctx, lsUsage);
    const reader = await openRunReader(values.db ?? DEFAULT_DB_PATH, ctx.stderr);
    try {
      const runs = reader.listRuns().map((r) => ({
        uuid: r.uuid,
        campaign: r.campaign_name,
        status: r.status,
        chip: `${r.chip_model ?? '?'} ${r.chip_serial ?? ''}`.trim(),
        connection:
          r.connection === 'serial' ? r.port : `emulator${r.profile ? ` ${r.profile}` : ''}`,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        exitReason: r.exit_reason,
      }));
      if (values.json) return done(ctx, `${JSON.stringify(runs, null, 2)}\n`);
      if (runs.length === 0) return done(ctx, 'no runs\n');
      const rows = runs.map((r) => [
        r.uuid,
        r.campaign,
        r.status,
        r.chip,
        r.startedAt,
        r.endedAt ?? '',
      ]);
      return done(
        ctx,
        `${table(['run', 'campaign', 'status', 'chip', 'started', 'ended'], rows)}\n`,
      );
    } finally {
      reader.close();
    }
  },
};

/** The `runs show` command. */
export const runsShow: Command = {
  path: ['runs', 'show'],
  summary: 'show one run: status, steps, metrics, events',
  usage: showUsage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('runs show', args, options, true);
    if (values.help) return done(ctx, showUsage);
    if (positionals.length !== 1)
      throw new BenchError('USAGE', "runs show needs one RUN (see 'rram-bench runs ls')");
    const reader = await openRunReader(values.db ?? DEFAULT_DB_PATH, ctx.stderr);
    try {
      const r = reader.findRun(positionals[0]!);
      const steps = reader.steps(r.id).map((s) => ({
        idx: s.idx,
        name: s.name,
        kind: s.kind,
        status: s.status,
        units: s.units,
        checkpoint: s.checkpoint,
        summary: s.summary_json ? (JSON.parse(s.summary_json) as unknown) : null,
      }));
      const metrics = reader.metrics(r.id);
      const events = reader.events(r.id);
      const counts = reader.counts(r.id);
      const { campaign_text: campaignText, ...run } = r;
      if (values.json)
        return done(
          ctx,
          `${JSON.stringify({ run: { ...run, campaignText }, steps, metrics, events, counts }, null, 2)}\n`,
        );
      const lines = [
        `run       ${r.uuid}`,
        `campaign  ${r.campaign_name}${r.campaign_path ? ` (${r.campaign_path})` : ''}`,
        `status    ${r.status}${r.exit_reason ? ` — ${r.exit_reason}` : ''}${r.error_code ? ` [${r.error_code}]` : ''}`,
        `chip      ${r.chip_model ?? '?'} ${r.chip_serial ?? ''} via ${r.connection === 'serial' ? r.port : `emulator (profile ${r.profile}, seed ${r.seed}, ${r.clock} time)`}`,
        `host      ${r.host}, rram-bench ${r.software_version}${r.resumes ? `, resumed ${r.resumes}×` : ''}`,
        `time      ${r.started_at} → ${r.ended_at ?? '…'}`,
        `stored    ${counts.maps} maps, ${num(counts.cells, 9)} programmed cells, ${num(counts.vectors, 9)} MVM vectors in ${counts.batches} batches`,
        '',
        table(
          ['#', 'step', 'status', 'done'],
          steps.map((s) => [String(s.idx + 1), s.name, s.status, `${s.checkpoint}/${s.units}`]),
          [0],
        ),
        '',
        ...(metrics.length
          ? [
              'metrics',
              ...metrics.map(
                (m) =>
                  `  [${m.stepIdx + 1}] ${m.name} = ${num(m.value, 4)}${m.unit ? ` ${m.unit}` : ''}`,
              ),
              '',
            ]
          : []),
        'events',
        ...events.map((e) => `  ${e.at}  ${e.kind}${e.code ? ` [${e.code}]` : ''}: ${e.message}`),
      ];
      return done(ctx, `${lines.join('\n')}\n`);
    } finally {
      reader.close();
    }
  },
};

function done(ctx: CliContext, text: string): number {
  ctx.stdout.write(text);
  return 0;
}
