/** `rram-bench runs ls` and `runs show RUN`: what the database holds. */
import { BenchError } from '../../drivers/driver.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import { openRunReader } from './open-run-reader.ts';
import type { CliContext, Command } from './command.ts';
import { count, duration, plural, quantity, table } from './format.ts';
import { metricText } from './metric-text.ts';
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
      const rawSteps = reader.steps(r.id);
      const steps = rawSteps.map((s) => ({
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
      const { campaign_text: campaignText, link_json: linkJson, ...run } = r;
      const link = linkJson ? (JSON.parse(linkJson) as unknown) : null;
      if (values.json)
        return done(
          ctx,
          `${JSON.stringify({ run: { ...run, link, campaignText }, steps, metrics, events, counts }, null, 2)}\n`,
        );
      const lines = [
        `run       ${r.uuid}`,
        `campaign  ${r.campaign_name}${r.campaign_path ? ` (${r.campaign_path})` : ''}`,
        `status    ${r.status}${r.exit_reason ? ` — ${r.exit_reason}` : ''}${r.error_code ? ` [${r.error_code}]` : ''}`,
        `chip      ${r.chip_model ?? '?'} ${r.chip_serial ?? ''} via ${r.connection === 'serial' ? r.port : `emulator (profile ${r.profile}, seed ${r.seed}, ${r.clock} time)`}`,
        `host      ${r.host}, rram-bench ${r.software_version}${r.resumes ? `, resumed ${r.resumes}×` : ''}`,
        `time      ${r.started_at} → ${r.ended_at ?? '…'}`,
        `stored    ${plural(counts.maps, 'map')}, ${plural(counts.cells, 'programmed cell')}, ${plural(counts.vectors, 'MVM vector')} in ${plural(counts.batches, 'batch', 'batches')}`,
        ...(r.link_json ? [`link      ${formatLink(r.link_json)}`] : []),
        '',
        table(
          ['#', 'step', 'status', 'units', 'time'],
          rawSteps.map((s) => [
            String(s.idx + 1),
            s.name,
            s.status,
            `${count(s.checkpoint)}/${count(s.units)}`,
            s.started_at && s.ended_at
              ? duration((Date.parse(s.ended_at) - Date.parse(s.started_at)) / 1000)
              : '',
          ]),
          [0, 3, 4],
        ),
        '',
        ...steps.flatMap((s) => {
          const entries = Object.entries((s.summary ?? {}) as Record<string, unknown>).filter(
            ([, v]) => v !== null && typeof v !== 'object',
          );
          const ms = metrics.filter((m) => m.stepIdx === s.idx);
          if (entries.length === 0 && ms.length === 0) return [];
          return [
            `[${s.idx + 1}] ${s.name}`,
            ...(entries.length ? wrap(entries.map(([k, v]) => `${k} ${quantity(k, v)}`)) : []),
            ...(ms.length
              ? wrap(
                  ms.map((m) => metricText({ name: m.name, value: m.value, unit: m.unit })),
                  'metrics: ',
                )
              : []),
          ];
        }),
        '',
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

/** `items` joined by ` · ` in lines of at most 96 characters, indented under a step. */
function wrap(items: string[], lead = ''): string[] {
  const lines: string[] = [];
  let line = `    ${lead}`;
  for (const item of items) {
    if (line.trim() !== lead.trim() && line.length + 3 + item.length > 96) {
      lines.push(line);
      line = `    ${' '.repeat(lead.length)}${item}`;
    } else line = line.trim() === lead.trim() ? `${line}${item}` : `${line} · ${item}`;
  }
  lines.push(line);
  return lines;
}

/** The stored link counters of a serial run, on one line. */
function formatLink(json: string): string {
  const c = JSON.parse(json) as Record<string, number | undefined>;
  const parts = [
    `${c.replies ?? 0} replies`,
    `${c.retries ?? 0} resends`,
    `${c.badLines ?? 0} bad lines`,
    `${c.timeouts ?? 0} timeouts`,
    `${c.reconnects ?? 0} reconnects`,
    `rtt ${c.rttMs ?? 0} ms`,
    `line budget ${c.lineBudget ?? 0} B`,
  ];
  return parts.join(', ');
}
