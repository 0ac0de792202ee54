/**
 * The report as one self-contained HTML document: inline CSS, inline SVG figures (heat-maps as
 * data-URL PNG images inside them), tables of metadata, steps, metrics, the sweep's Pareto
 * settings and events. No script, no external resource: it opens offline in any browser.
 */
import type { Figure } from './figure-specs.ts';
import type { RunData } from './run-data.ts';
import type { SweepAnalysis } from './sweep-analysis.ts';

/** A figure rendered to SVG. */
export interface RenderedFigure {
  figure: Figure;
  svg: string;
}

/** What the HTML is made of. */
export interface ReportContent {
  runs: readonly RunData[];
  analyses: readonly SweepAnalysis[];
  figures: readonly RenderedFigure[];
  /** rram-bench version that wrote the report. */
  softwareVersion: string;
  /** When the report was made (ISO). */
  generatedAt: string;
}

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:8px 0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.front td{background:#eef7ee;font-weight:600}
figure{margin:16px 0;overflow-x:auto}figcaption{color:#555;font-size:12.5px;max-width:900px}pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}
.muted{color:#777}`;

const esc = escapeHtml;
const fmt = (v: number, digits = 4) =>
  Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6
      ? v.toPrecision(digits)
      : v.toExponential(3);

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  rowClass?: (i: number) => string,
): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows
    .map(
      (r, i) =>
        `<tr${rowClass?.(i) ? ` class="${rowClass(i)}"` : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function durationS(a: string | null, b: string | null): string {
  if (!a || !b) return '';
  return `${((Date.parse(b) - Date.parse(a)) / 1000).toFixed(2)} s`;
}

function metadataRows(run: RunData): [string, string][] {
  const r = run.run;
  const info = (run.chip?.info ?? {}) as Partial<
    Record<'model' | 'serial' | 'firmwareVersion' | 'protocolVersion', string | number> & {
      emulated: boolean;
    }
  >;
  const emulated = info.emulated === true ? ' (emulated)' : '';
  return [
    ['run', r.uuid],
    ['campaign', `${r.campaign_name}${r.campaign_path ? ` (${r.campaign_path})` : ''}`],
    [
      'status',
      `${r.status}${r.exit_reason ? `: ${r.exit_reason}` : ''}${r.error_code ? ` [${r.error_code}]` : ''}`,
    ],
    [
      'chip',
      `${String(info.model ?? r.chip_model ?? '?')} serial ${String(info.serial ?? r.chip_serial ?? '?')}${emulated}`,
    ],
    [
      'firmware / protocol',
      `${String(info.firmwareVersion ?? '?')} / v${String(info.protocolVersion ?? '?')}`,
    ],
    [
      'connection',
      r.connection === 'serial'
        ? `serial port ${r.port ?? '?'}`
        : `emulator, profile ${r.profile ?? run.chip?.profile ?? 'default'}, seed ${r.seed ?? '?'}, time ${r.clock ?? '?'}${r.chip_state ? `, state ${r.chip_state}` : ''}`,
    ],
    ['software', `rram-bench ${r.software_version}`],
    ['host / pid', `${r.host} / ${r.pid}`],
    [
      'started / ended',
      `${r.started_at} / ${r.ended_at ?? 'still running'} (${durationS(r.started_at, r.ended_at)})`,
    ],
    ['resumes', String(r.resumes)],
    [
      'stored',
      `${run.counts.maps} maps, ${run.counts.cells} programmed cells, ${run.counts.batches} MVM batches (${run.counts.vectors} vectors)`,
    ],
  ];
}

function metadataSection(runs: readonly RunData[]): string {
  const all = runs.map(metadataRows);
  const rows = all[0]!.map(([k], i) => [esc(k), ...all.map((m) => esc(m[i]![1]))]);
  const head = runs.length > 1 ? ['', ...runs.map((r) => r.label)] : ['', 'value'];
  const link = runs.map((run) => run.metrics.filter((m) => m.name.startsWith('link.')));
  const linkHtml = link.some((l) => l.length > 0)
    ? table(
        ['run', 'step', 'counter', 'value'],
        runs.flatMap((run, i) =>
          link[i]!.map((m) => [esc(run.label), esc(m.step), esc(m.name), fmt(m.value)]),
        ),
      )
    : '<p class="muted">No link counters stored (the in-process emulator has no link).</p>';
  return `<h2>Run</h2>${table(head, rows)}<h3>Link counters</h3>${linkHtml}`;
}

function stepsSection(run: RunData, title: string): string {
  const rows = run.steps.map((s) => [
    String(s.idx),
    esc(s.kind),
    esc(s.name),
    esc(s.status),
    esc(s.started_at ?? ''),
    durationS(s.started_at, s.ended_at),
    `${s.checkpoint}/${s.units}`,
    `<code>${esc(s.summary_json ?? '')}</code>`,
  ]);
  const metrics = run.metrics.map((m) => [
    esc(m.step),
    esc(m.name),
    `<span class="n">${fmt(m.value)}</span>`,
    esc(m.unit),
  ]);
  return `<h2>Steps${title}</h2>${table(['#', 'kind', 'name', 'status', 'started', 'took', 'units', 'summary'], rows)}
<h3>Metrics</h3>${metrics.length ? table(['step', 'metric', 'value', 'unit'], metrics) : '<p class="muted">none</p>'}`;
}

function sweepSection(runs: readonly RunData[], analyses: readonly SweepAnalysis[]): string {
  const parts: string[] = [];
  runs.forEach((run, ri) => {
    if (run.sweep.length < 2) return;
    const a = analyses[ri]!;
    const rows = run.sweep.map((p, i) => [
      esc(p.step),
      esc(p.settingLabel),
      fmt(p.accuracy),
      String(p.samples),
      fmt(p.energyJ * 1e9),
      fmt(p.latencyS * 1e6),
      `${(100 * p.clippedFraction).toFixed(1)}%`,
      a.front.includes(i) ? 'yes' : '',
    ]);
    const best = a.front.map((i) => run.sweep[i]!).sort((x, y) => x.energyJ - y.energyJ);
    const coincide = a.coincidences.length
      ? `<h3>Settings that coincide</h3><ul>${a.coincidences.map((c) => `<li>${esc(c.explanation)}</li>`).join('')}</ul>`
      : '';
    parts.push(`<h3>${runs.length > 1 ? `${esc(run.label)}: ` : ''}sweep points</h3>
${table(['step', 'setting', 'accuracy', 'vectors', 'energy / inference (nJ)', 'latency / inference (µs)', 'counts clipped', 'Pareto-optimal'], rows, (i) => (a.front.includes(i) ? 'front' : ''))}
<h3>Pareto-optimal settings (accuracy ↑, energy ↓, latency ↓), cheapest first</h3>
${table(
  ['setting', 'accuracy', 'energy / inference (nJ)', 'latency / inference (µs)'],
  best.map((p) => [
    esc(p.settingLabel),
    fmt(p.accuracy),
    fmt(p.energyJ * 1e9),
    fmt(p.latencyS * 1e6),
  ]),
)}
${coincide}`);
  });
  return parts.length ? `<h2>Sweep: accuracy, energy and latency</h2>${parts.join('\n')}` : '';
}

function eventsSection(runs: readonly RunData[]): string {
  const rows = runs.flatMap((run) =>
    run.events.map((e) => [
      ...(runs.length > 1 ? [esc(run.label)] : []),
      esc(e.at),
      e.step_idx === null ? '' : String(e.step_idx),
      esc(e.kind),
      esc(e.code ?? ''),
      esc(e.message),
    ]),
  );
  return `<h2>Events</h2>${table([...(runs.length > 1 ? ['run'] : []), 'at', 'step', 'kind', 'code', 'message'], rows)}`;
}

/** The whole document. */
export function reportHtml(c: ReportContent): string {
  const { runs } = c;
  const title =
    runs.length === 1
      ? `rram-bench report: ${runs[0]!.run.campaign_name} (run ${runs[0]!.run.uuid.slice(0, 8)})`
      : `rram-bench report: ${runs.length} runs compared`;
  const sections = [...new Set(c.figures.map((f) => f.figure.section))];
  const figures = sections
    .map((s) => {
      const body = c.figures
        .filter((f) => f.figure.section === s)
        .map(
          (f) => `<figure id="${esc(f.figure.id)}" class="plot"><h3>${esc(f.figure.title)}</h3>
${f.svg}
<figcaption>${esc(f.figure.caption)}</figcaption></figure>`,
        )
        .join('\n');
      return `<h2>${esc(s)}</h2>\n${body}`;
    })
    .join('\n');
  const campaign = runs
    .map(
      (r) =>
        `<details><summary>Campaign text${runs.length > 1 ? ` of ${esc(r.label)}` : ''} (${esc(r.run.campaign_name)})</summary><pre>${esc(r.run.campaign_text)}</pre></details>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="muted">Made by rram-bench ${esc(c.softwareVersion)} at ${esc(c.generatedAt)}. Self-contained: no scripts, no network.</p>
${metadataSection(runs)}
${campaign}
${figures || '<p class="muted">The run stored nothing to plot.</p>'}
${sweepSection(runs, c.analyses)}
${runs.map((r) => stepsSection(r, runs.length > 1 ? ` of ${esc(r.label)}` : '')).join('\n')}
${eventsSection(runs)}
</body></html>
`;
}
